"""The verified-token cache: never past the token's exp, one entry per exact token,
bounded. Pure: the verifier's clock is injected (PyJWT's checks use the real clock,
so the tokens are minted around the real time)."""

from __future__ import annotations

import time

import pytest

from alice_server.auth import TokenRejected, TokenVerifier, mint_token

SECRET = "k" * 48


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_cached_token_is_refused_once_its_exp_has_passed():
    clock = Clock()
    verifier = TokenVerifier(SECRET, clock=clock)
    token = mint_token(SECRET, 5, ttl_seconds=60)
    assert verifier.verify(token).customer_id == 5
    assert token in verifier._verified
    clock.now += 59  # still inside: served from the cache
    assert verifier.verify(token).customer_id == 5
    # Past exp (and past PyJWT's leeway): the cache does not answer, the full check refuses.
    clock.now += 2
    assert token in verifier._verified
    verifier_past = TokenVerifier(SECRET, clock=clock)
    minted_long_ago = mint_token(SECRET, 5, ttl_seconds=60, now=time.time() - 120)
    with pytest.raises(TokenRejected) as refused:
        verifier_past.verify(minted_long_ago)
    assert refused.value.reason == "TOKEN_EXPIRED"
    # The cached entry past its exp is dropped, not served.
    verifier._verified[token] = (verifier._verified[token][0], clock.now - 1)
    verifier._secret = "another secret that would refuse it, 32+ bytes"
    with pytest.raises(TokenRejected):
        verifier.verify(token)
    assert token not in verifier._verified


def test_one_tokens_result_never_serves_another():
    verifier = TokenVerifier(SECRET)
    token = mint_token(SECRET, 5)
    assert verifier.verify(token).customer_id == 5
    # From now on only the cache can accept anything: the full check would refuse all.
    verifier._secret = "another secret that refuses every token, 32+ bytes"
    assert verifier.verify(token).customer_id == 5
    header, claims, signature = token.split(".")
    for variant in (
        f"{header}.{claims}.{signature[:-2]}{'AB' if signature[-2:] != 'AB' else 'CD'}",
        f"{header}.{claims}.{signature} ",  # decodes to the same bytes, yet another string
        token + "=",
        token.upper(),
        token[:-1],
        mint_token(SECRET, 6),
    ):
        with pytest.raises(TokenRejected):
            verifier.verify(variant)


def test_refused_tokens_are_not_cached_and_the_cache_is_bounded():
    verifier = TokenVerifier(SECRET, cache_size=3)
    with pytest.raises(TokenRejected):
        verifier.verify("not-a-jwt")
    assert not verifier._verified
    tokens = [mint_token(SECRET, customer) for customer in range(1, 8)]
    for token in tokens:
        verifier.verify(token)
    assert len(verifier._verified) == 3
    assert set(verifier._verified) == set(tokens[-3:])
