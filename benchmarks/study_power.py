"""Power of study v2's primary comparison: the smallest secure@1 difference the design can detect.

The primary test compares two models on the same prompts: for prompt i, ``d_i`` = the first model's share of
secure samples minus the second's (s samples each). The test is a paired t-test on the ``d_i`` (a one-sample t-test
of their mean against 0; with hundreds of prompts the mean is close to normal whatever the ``d_i``'s shape, and
unlike the sign test it uses the size of each prompt's change, not only its direction). Its power comes from
``statsmodels.stats.power.TTestPower``; the minimum detectable effect (MDE) is the standardized effect it solves
for at alpha 0.05 and power 0.8, times the standard deviation of ``d_i``.

That standard deviation is estimated from the first study, which had one sample per prompt: there ``d_i`` is -1, 0
or +1, and its variance is about the share of discordant prompts (``delta``: prompts where exactly one of the two
models wrote a secure program; 20 of 69 for TSP (verified) against the base model on seccodeplt-dev-seen, 19 of 69
for SFT). Part of it is sampling noise (the same model, sampled twice, disagrees with itself on some prompts) and
the rest is how differently the two models treat each prompt. With s samples per prompt the noise part shrinks by
1/s and the rest does not:

    var(d_i) = delta * (1 - f) + delta * f / s        (f: the share of delta that is sampling noise)

f is not known from one sample per prompt; the plan measures it in a pilot (the base model sampled twice with
different seeds: its discordance with itself is the noise) and this script gives the MDE for every f.

    .venv/bin/python benchmarks/study_power.py                      # the grid in docs/results.md
    .venv/bin/python benchmarks/study_power.py --delta 0.29 --prompts 831 --samples 4 --noise 0.5

The last line is ``RESULT study_power mde=<points> prompts=<n> samples=<s> noise=<f> delta=<delta>``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from statsmodels.stats.power import TTestPower

ALPHA, POWER = 0.05, 0.8
# Evaluation prompts (Python): SecurityEval 121, SecCodePLT dev 314, sec_eval 34, SafeCoder val Python 14, and
# the half of SecCodePLT train left out of training (348 of 696).
POOLS = {"without SecCodePLT train": 483, "with half of SecCodePLT train held out": 831}


def mde(prompts: int, delta: float, samples: int, noise: float) -> float:
    """The smallest mean difference of per-prompt secure rates detectable at ALPHA and POWER (a share, 0-1)."""
    sd = math.sqrt(delta * (1 - noise) + delta * noise / samples)
    effect = TTestPower().solve_power(effect_size=None, nobs=prompts, alpha=ALPHA, power=POWER,
                                      alternative="two-sided")
    return float(effect) * sd


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delta", type=float, default=0.29, help="share of discordant prompts at one sample")
    parser.add_argument("--prompts", type=int, help="one design: number of prompts")
    parser.add_argument("--samples", type=int, default=4, help="one design: samples per prompt")
    parser.add_argument("--noise", type=float, default=0.5, help="one design: share of delta that is noise")
    args = parser.parse_args(argv)
    if args.prompts is None:
        print(f"MDE in secure@1 points, alpha {ALPHA}, power {POWER}, paired t-test over prompts, "
              f"delta {args.delta}")
        print("| prompts | samples per prompt | f = 0 | f = 0.25 | f = 0.5 | f = 0.75 |")
        print("|---:|---:|---:|---:|---:|---:|")
        for pool, n in POOLS.items():
            for s in (1, 2, 4, 8):
                cells = " | ".join(f"{100 * mde(n, args.delta, s, f):.1f}" for f in (0, 0.25, 0.5, 0.75))
                print(f"| {n} ({pool}) | {s} | {cells} |")
        args.prompts = POOLS["with half of SecCodePLT train held out"]
    value = 100 * mde(args.prompts, args.delta, args.samples, args.noise)
    print(f"RESULT study_power mde={value:.2f} prompts={args.prompts} samples={args.samples} noise={args.noise} "
          f"delta={args.delta}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
