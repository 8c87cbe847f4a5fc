"""Median cost of TokenVerifier.verify_header: a token seen before (cached) and
a token never seen (the full HS256 check). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_token_verify.py [--iterations 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from alice_server.auth import TokenVerifier, mint_token

SECRET = "benchmark-secret-" + "x" * 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20000)
    args = parser.parse_args()
    n = args.iterations
    # Distinct tokens (distinct customers) so that the uncached run never hits the cache.
    fresh = [f"Bearer {mint_token(SECRET, customer)}" for customer in range(1, n + 1)]
    repeated = fresh[0]

    uncached = TokenVerifier(SECRET, cache_size=0)
    cached = TokenVerifier(SECRET)
    cached.verify_header([repeated])

    def timings(verifier: TokenVerifier, headers: list[str]) -> list[float]:
        samples = []
        for header in headers:
            started = time.perf_counter_ns()
            verifier.verify_header([header])
            samples.append((time.perf_counter_ns() - started) / 1000)
        return samples

    cold = timings(uncached, fresh)
    warm = timings(cached, [repeated] * n)
    print(f"TokenVerifier.verify_header, {n} iterations each (microseconds)")
    print(f"  uncached (full HS256 check): median {statistics.median(cold):8.2f}")
    print(f"  cached (token seen before):  median {statistics.median(warm):8.2f}")


if __name__ == "__main__":
    main()
