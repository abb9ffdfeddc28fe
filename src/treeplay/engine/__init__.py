"""The engine: model loading, prompts, KV-cache forking and tree growth (torch lives here and in ``train/``).

Modules (import them directly; this package imports nothing heavy so ``treeplay --help`` stays light):

- ``loading``   ``load_model`` / ``load_tokenizer``: the embedded default (SmolLM2-135M-Instruct converted once from
                its GGUF and cached), any Hugging Face id or local folder, LoRA adapters, dtype and device.
- ``prompts``   ``build_prompt``: model input for a Task (chat template or ``[INST]``), prompt and golden token ids.
- ``tokens``    incremental detokenisation and risk node -> token position (k_v) mapping.
- ``stops``     language-aware end-of-function stop rules for branches.
- ``backends``  the ``BranchBackend`` protocol, its request/result records and ``FakeBackend``.
- ``hf_backend``     the KV-sharing backend: prefill once, fork the cache at every node, batched decode.
- ``openai_backend`` an OpenAI-compatible ``/v1/completions`` server (vLLM, SGLang).
- ``rollout``   ``grow_tree`` / ``grow_trees``: Tree records, resumable ``trees.jsonl``, depth > 1 hook.
- ``tiny``      ``tiny_model_and_tokenizer``: a tiny random Llama and an offline BPE tokenizer for tests.
- ``build``     ``build_backend``: the backend a grow or eval section names.
- ``grow_cmd``  ``treeplay grow``.
"""

DEFAULT_MODEL = "default"  # the embedded SmolLM2-135M-Instruct: model.name's default, and how loading names it
