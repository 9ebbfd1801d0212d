"""myinference: how this project loads and runs its Llama model (the code under test)."""
import torch
from transformers import LlamaForCausalLM

# Each commit of the example repository changes one of these (make-repo.sh).
ATTN_IMPLEMENTATION = "eager"
DTYPE = torch.float32
CACHE_IMPLEMENTATION = None  # the default dynamic KV cache

SETTINGS = {"attn_implementation": ATTN_IMPLEMENTATION, "dtype": str(DTYPE), "cache": CACHE_IMPLEMENTATION or "dynamic"}


def load_model(path, device):
    model = LlamaForCausalLM.from_pretrained(path, torch_dtype=DTYPE, attn_implementation=ATTN_IMPLEMENTATION)
    return model.to(device).eval()


def generate(model, input_ids, attention_mask, new_tokens, stopping_criteria):
    kwargs = {}
    if CACHE_IMPLEMENTATION:
        kwargs["cache_implementation"] = CACHE_IMPLEMENTATION
    return model.generate(input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=new_tokens,
                          min_new_tokens=new_tokens, do_sample=False, pad_token_id=0,
                          stopping_criteria=stopping_criteria, **kwargs)
