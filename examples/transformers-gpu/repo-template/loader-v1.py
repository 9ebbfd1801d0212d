"""myinference: how this project loads and runs its Llama model (the code under test)."""
import torch
import transformers
from transformers import LlamaForCausalLM

# Each commit of the example repository changes one of these (make-repo.sh).
ATTN_IMPLEMENTATION = "eager"
DTYPE = torch.float32
CACHE_IMPLEMENTATION = None  # the default dynamic KV cache

SETTINGS = {"attn_implementation": ATTN_IMPLEMENTATION, "dtype": str(DTYPE), "cache": CACHE_IMPLEMENTATION or "dynamic"}


# transformers 4.56 renamed from_pretrained's torch_dtype to dtype.
_VERSION = tuple(int(p) for p in transformers.__version__.split(".")[:2] if p.isdigit())
_DTYPE_ARG = "dtype" if _VERSION >= (4, 56) else "torch_dtype"


def load_model(path, device):
    model = LlamaForCausalLM.from_pretrained(path, attn_implementation=ATTN_IMPLEMENTATION, **{_DTYPE_ARG: DTYPE})
    # A setting transformers ignored would make the commits measure the same thing: refuse.
    if model.dtype != DTYPE or model.config._attn_implementation != ATTN_IMPLEMENTATION:
        raise SystemExit("myinference: asked for %s with %s attention, got %s with %s (transformers %s)"
                         % (DTYPE, ATTN_IMPLEMENTATION, model.dtype, model.config._attn_implementation,
                            transformers.__version__))
    return model.to(device).eval()


def generate(model, input_ids, attention_mask, new_tokens, stopping_criteria):
    kwargs = {}
    if CACHE_IMPLEMENTATION:
        kwargs["cache_implementation"] = CACHE_IMPLEMENTATION
    return model.generate(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=new_tokens,
                          min_new_tokens=new_tokens, do_sample=False, pad_token_id=0,
                          stopping_criteria=stopping_criteria, **kwargs)
