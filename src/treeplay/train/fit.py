"""What of each pair is trained on: ``train.loss_tokens`` (all tokens, or a local branch's region only) and
``train.max_length`` (the longest sequence a pair may put through the model).

- ``loss_tokens=region``: a local branch (``grow.stop=statement``) rewrites one statement and both sides of its pair
  then continue with the same golden code. ``region_only`` cuts each continuation after its region (its tokens up to
  where it rejoins the golden code), so the DPO log-ratios count only the statement the two sides differ in. A
  token's log-probability depends only on the tokens before it, so cutting the unscored rest is exactly a mask
  over it, and it is not run at all. Pairs without a region (function branches, whole programs) keep every token.
- ``max_length``: a pair whose context + longer continuation has more tokens is fitted into a window around its
  node (``fit_max_length``): the prompt is always kept; the continuations are cut at their end to what the window
  leaves them (at least half of it when the prefix is long enough to give that up), never inside their region; then
  the golden prefix loses tokens from its start, in steps of ``CUT_STEP`` tokens so that pairs of one tree at
  nearby nodes keep the same context and still share it in the packed pass. A pair whose prompt and regions alone
  are longer than ``max_length`` is skipped, and counted. Pairs cut at different places are packed apart (one group
  per cut), so no packed pass holds much more than ``max_length`` tokens plus the branches of one fork.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from treeplay.train.data import PairGroup
from treeplay.train.packing import SequencePair

LOSS_TOKENS = ("all", "region")
CUT_STEP = 64  # tokens: the golden prefix loses a multiple of this from its start


@dataclass(frozen=True)
class FitReport:
    """What ``fit_max_length`` did: pairs kept as they were, cut to fit, and skipped (with their pair indices)."""

    max_length: int | None
    kept: int = 0
    truncated: int = 0
    skipped: tuple[int, ...] = ()

    def line(self) -> str:
        """One line for the user, or '' when nothing was changed."""
        if self.max_length is None or not (self.truncated or self.skipped):
            return ""
        skipped = ""
        if self.skipped:
            shown = ", ".join(str(i + 1) for i in self.skipped[:5]) + (", ..." if len(self.skipped) > 5 else "")
            skipped = (f"; {len(self.skipped)} skipped (pairs {shown} of the pairs file: prompt and node region "
                       f"alone are longer)")
        total = self.kept + self.truncated + len(self.skipped)
        return (f"train.max_length={self.max_length}: {self.truncated} of {total} pairs cut to fit around their "
                f"node{skipped}")

    def as_dict(self) -> dict[str, object]:
        return {"max_length": self.max_length, "pairs_kept": self.kept, "pairs_truncated": self.truncated,
                "pairs_skipped": len(self.skipped)}


def region_only(groups: Sequence[PairGroup]) -> list[PairGroup]:
    """``train.loss_tokens=region``: every continuation cut after its region (module docstring)."""
    return [dataclasses.replace(group, pairs=tuple(_region_pair(pair) for pair in group.pairs)) for group in groups]


def _region_pair(pair: SequencePair) -> SequencePair:
    chosen = pair.chosen if pair.chosen_region is None else pair.chosen[:pair.chosen_region]
    rejected = pair.rejected if pair.rejected_region is None else pair.rejected[:pair.rejected_region]
    return dataclasses.replace(pair, chosen=chosen, rejected=rejected)


def fit_max_length(groups: Sequence[PairGroup], max_length: int | None) -> tuple[list[PairGroup], FitReport]:
    """Every pair within ``max_length`` tokens (context + longer continuation), or skipped (module docstring);
    groups split by where their pairs' contexts were cut. ``max_length`` None: the groups as they are."""
    if max_length is None:
        return list(groups), FitReport(max_length=None, kept=sum(len(g.pairs) for g in groups))
    if max_length < 2:
        raise ValueError(f"max_length must be at least 2, got {max_length}")
    kept = truncated = 0
    skipped: list[int] = []
    out: list[PairGroup] = []
    for group in groups:
        parts: dict[int, list[tuple[int, SequencePair]]] = defaultdict(list)
        for index, pair in zip(group.indices, group.pairs, strict=True):
            prompt = len(pair.context) if group.prompt_tokens is None else min(group.prompt_tokens, len(pair.context))
            fitted = fit_pair(pair, prompt, max_length)
            if fitted is None:
                skipped.append(index)
                continue
            cut, new = fitted
            if new is pair:
                kept += 1
            else:
                truncated += 1
            parts[cut].append((index, new))
        for cut, items in sorted(parts.items()):
            key = group.key if cut == 0 else f"{group.key}@cut{cut}"
            out.append(dataclasses.replace(group, key=key, pairs=tuple(p for _, p in items),
                                           indices=tuple(i for i, _ in items)))
    return out, FitReport(max_length=max_length, kept=kept, truncated=truncated, skipped=tuple(skipped))


def fit_pair(pair: SequencePair, prompt: int, max_length: int) -> tuple[int, SequencePair] | None:
    """(tokens cut from the start of the golden prefix, the pair within ``max_length``), or None when its prompt
    and regions alone do not fit. ``prompt``: the context's leading tokens that are the prompt (never cut)."""
    prefix = len(pair.context) - prompt
    longer = max(len(pair.chosen), len(pair.rejected))
    if len(pair.context) + longer <= max_length:
        return 0, pair
    room = max_length - prompt  # for golden prefix + continuation
    region = max(pair.chosen_region or 0, pair.rejected_region or 0, 1)
    if room < region + (1 if prompt == 0 else 0):  # a pair needs one context token to score its first token from
        return None
    cap = min(longer, max(region, room // 2, room - prefix))  # tokens each continuation keeps
    keep = room - cap  # golden prefix tokens kept, from its end
    cut = 0 if keep >= prefix else min(prefix, -(-(prefix - keep) // CUT_STEP) * CUT_STEP)
    if prompt == 0 and cut >= prefix:
        cut = prefix - 1  # no prompt: keep the last prefix token as the context
    context = pair.context[:prompt] + pair.context[prompt + cut:]
    chosen, rejected = pair.chosen[:cap], pair.rejected[:cap]
    return cut, dataclasses.replace(pair, context=context, chosen=chosen, rejected=rejected,
                                    chosen_region=_within(pair.chosen_region, cap),
                                    rejected_region=_within(pair.rejected_region, cap))


def _within(region: int | None, cap: int) -> int | None:
    return None if region is None else min(region, cap)
