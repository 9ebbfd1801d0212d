"""The transformers benchmark "v1" Llama scenario, reported through benchline.

Measures, as benchmark/llama.py of the v1 system did, but with a
Llama-architecture model of random weights built from a config (no download):

  model_load_time                          from_pretrained of the saved random model + .to(device)
  first/second_eager_forward_pass_time_secs one forward pass of the prompt
  first/second_eager_generate_time_secs    generate() of NEW_TOKENS tokens
  time_to_first/second/third_token_secs    from generate() start to each new token
  time_to_next_token_mean_secs             mean gap between later tokens
  tokens_per_s                             NEW_TOKENS / second generate time

What is measured is decided by the code under test, the `myinference` package
of the commit benchline checked out (attention implementation, dtype, KV
cache); this script only times it. Every timing is bracketed by
torch.cuda.synchronize(), which v1 sometimes forgot. Values go to benchline
through clients/python/benchline_recorder.py (copied next to this file), with
the v1 recorder's methods, so the same dict lands in model_measurements.

Environment: NEW_TOKENS (default 128), PROMPT_TOKENS (default 32),
LLAMA_MODEL_DIR (where the random model is saved once; default
$TMPDIR/benchline-llama-random-<size>), LLAMA_SIZE (tiny|1b, default 1b).
"""

import logging
import os
import statistics
import sys
import tempfile
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM, StoppingCriteria, StoppingCriteriaList

from benchline_recorder import MetricsRecorder

sys.path.insert(0, os.getcwd())  # the checked-out commit: benchline runs us in its worktree
import myinference  # noqa: E402  (the code under test)

SIZES = {
    # About TinyLlama-1.1B's shape: big enough that attention, dtype and cache matter on a GPU.
    "1b": dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
               num_key_value_heads=4, vocab_size=32000, max_position_embeddings=2048),
    # For a quick try on a small GPU.
    "tiny": dict(hidden_size=512, intermediate_size=1376, num_hidden_layers=4, num_attention_heads=8,
                 num_key_value_heads=8, vocab_size=32000, max_position_embeddings=1024),
}


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


class TokenClock(StoppingCriteria):
    """Called by generate() after each new token: notes when it came, never stops."""

    def __init__(self):
        self.times = []

    def __call__(self, input_ids, scores, **kwargs):
        sync()
        self.times.append(time.perf_counter())
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def random_model_dir(size):
    path = os.environ.get("LLAMA_MODEL_DIR") or os.path.join(tempfile.gettempdir(), "benchline-llama-random-" + size)
    if not os.path.exists(os.path.join(path, "config.json")):
        # Made once per machine, outside every timing: random weights, fixed seed.
        torch.manual_seed(0)
        config = LlamaConfig(**SIZES[size], pad_token_id=0, bos_token_id=1, eos_token_id=2)
        LlamaForCausalLM(config).save_pretrained(path + ".tmp")
        os.replace(path + ".tmp", path)
    return path


def main():
    logger = logging.getLogger("llama_v1")
    new_tokens = int(os.environ.get("NEW_TOKENS", "128"))
    prompt_tokens = int(os.environ.get("PROMPT_TOKENS", "32"))
    size = os.environ.get("LLAMA_SIZE", "1b")
    if new_tokens < 4 or prompt_tokens < 1 or size not in SIZES:
        raise SystemExit("llama_v1.py: need NEW_TOKENS >= 4, PROMPT_TOKENS >= 1 and LLAMA_SIZE in %s" % sorted(SIZES))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model_dir = random_model_dir(size)

    recorder = MetricsRecorder(None, logger, os.environ.get("BENCHLINE_COMMIT", "unknown"), "", "")
    benchmark_id = recorder.initialise_benchmark({
        "gpu_name": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
        "model_id": "random-llama-" + size,
        "settings": myinference.SETTINGS,
    })
    m = {}

    sync()
    start = time.perf_counter()
    model = myinference.load_model(model_dir, device)
    sync()
    m["model_load_time"] = time.perf_counter() - start

    torch.manual_seed(1)
    ids = torch.randint(3, model.config.vocab_size, (1, prompt_tokens), device=device)
    mask = torch.ones_like(ids)

    with torch.no_grad():
        for label in ("first", "second"):
            sync()
            start = time.perf_counter()
            model(input_ids=ids, attention_mask=mask)
            sync()
            m[label + "_eager_forward_pass_time_secs"] = time.perf_counter() - start

        for label in ("first", "second"):
            clock = TokenClock()
            sync()
            start = time.perf_counter()
            out = myinference.generate(model, ids, mask, new_tokens, StoppingCriteriaList([clock]))
            sync()
            elapsed = time.perf_counter() - start
            m[label + "_eager_generate_time_secs"] = elapsed
            if out.shape[1] - ids.shape[1] != new_tokens:
                raise SystemExit("generated %d tokens, not %d" % (out.shape[1] - ids.shape[1], new_tokens))
    # Token timings of the second (warm) generate, as v1 reported them.
    t = clock.times
    m["time_to_first_token_secs"] = t[0] - start
    m["time_to_second_token_secs"] = t[1] - start
    m["time_to_third_token_secs"] = t[2] - start
    m["time_to_next_token_mean_secs"] = statistics.mean(b - a for a, b in zip(t[2:], t[3:]))
    m["tokens_per_s"] = new_tokens / elapsed
    if device == "cuda":
        m["max_memory_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20

    # One dict, as v1 stored it; the direction of each value (tokens_per_s:
    # higher is better) is declared under metrics.better in benchline.yaml.
    recorder.collect_model_measurements(benchmark_id, m)
    recorder.close()


if __name__ == "__main__":
    main()
