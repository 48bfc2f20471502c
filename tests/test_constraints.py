"""Each constraint's state machine, run to the end under real tokenizers: the proxy's (one digit
per token) and a byte-level BPE with multi-digit tokens. Whatever the logits say, the decoded
answer must be well-formed."""


import pytest
import torch

from shopbench.decoding import constraints as C
from shopbench.official.parsing import parse_answer

TOKENIZERS = ["proxy_tokenizer", "multi_digit_tokenizer"]


@pytest.fixture(params=TOKENIZERS)
def tokenizer(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def table(tokenizer):
    return C.TokenTable.from_tokenizer(tokenizer)


def decode_greedy(constraint, table, vocab_size, seed, max_steps=200, prompt_ids=(5, 6, 7)):
    """Greedy decoding against random logits; returns the generated ids without the end token."""
    generator = torch.Generator().manual_seed(seed)
    output = []
    for _ in range(max_steps):
        logits = torch.randn(vocab_size, generator=generator)
        token = int(torch.argmax(constraint(list(prompt_ids), output, logits)))
        if token in table.eos_ids:
            return output
        output.append(token)
    raise AssertionError(f"no end of sequence after {max_steps} steps: {output}")


def test_multi_digit_tokens_are_found(multi_digit_tokenizer):
    table = C.TokenTable.from_tokenizer(multi_digit_tokenizer)
    surfaces = {s for s, _ in table.digit_surfaces}
    assert {"10", "12", "15", "40"} <= surfaces
    assert multi_digit_tokenizer.convert_ids_to_tokens(multi_digit_tokenizer.encode("12"))[0] == "12"


def test_proxy_digits_are_single(proxy_tokenizer):
    table = C.TokenTable.from_tokenizer(proxy_tokenizer)
    assert [s for s, _ in table.digit_surfaces] == list("0123456789")
    assert table.eos_ids == (proxy_tokenizer.convert_tokens_to_ids("<|im_end|>"),)


@pytest.mark.parametrize("options", [(0, 1, 2, 3), (1, 2, 3, 4, 5), tuple(range(10)), (0, 1)])
def test_choice_is_one_shown_option(tokenizer, table, options):
    constraint = C.build(C.Choice(options), table)
    for seed in range(30):
        ids = decode_greedy(constraint, table, len(tokenizer), seed)
        assert len(ids) == 1
        assert int(tokenizer.decode(ids)) in options


@pytest.mark.parametrize("n", [5, 10, 15, 40])
def test_ranking_is_a_permutation(tokenizer, table, n):
    items = list(range(1, n + 1))
    constraint = C.build(C.NumberList(items, n), table)
    for seed in range(25):
        text = tokenizer.decode(decode_greedy(constraint, table, len(tokenizer), seed))
        numbers = [int(x) for x in text.split(",")]
        assert sorted(numbers) == items, text
        if n == 5:
            assert parse_answer("ranking", text) == numbers


@pytest.mark.parametrize("n,k", [(10, 3), (15, 3), (15, 1), (40, 5), (12, 10), (4, 3)])
def test_retrieval_gives_k_distinct_listed_numbers(tokenizer, table, n, k):
    items = list(range(1, n + 1))
    constraint = C.build(C.NumberList(items, k), table)
    for seed in range(25):
        text = tokenizer.decode(decode_greedy(constraint, table, len(tokenizer), seed))
        numbers = [int(x) for x in text.split(",")]
        assert len(numbers) == k == len(set(numbers)), text
        assert set(numbers) <= set(items)
        assert parse_answer("retrieval", text) == numbers[:3]


def test_multi_digit_numbers_use_multi_digit_tokens(multi_digit_tokenizer):
    table = C.TokenTable.from_tokenizer(multi_digit_tokenizer)
    constraint = C.NumberListConstraint(range(1, 16), 3, table)
    first = set(constraint.allowed([]))
    ids = dict(table.digit_surfaces)
    assert set(ids["12"]) <= first and set(ids["1"]) <= first
    assert not set(ids["40"]) & first  # 40 is not listed
    # after "1" the number may continue to 10..15 but never to 16..19
    after_one = set(constraint.allowed(list(ids["1"])))
    assert set(ids["5"]) <= after_one and not set(ids["6"]) & after_one
    assert set(table.comma_ids) <= after_one


def test_used_numbers_are_not_offered_again(proxy_tokenizer):
    table = C.TokenTable.from_tokenizer(proxy_tokenizer)
    constraint = C.NumberListConstraint([1, 2, 3], 3, table)
    one, comma = table.digit_ids("1")[0], table.comma_ids[0]
    allowed = set(constraint.allowed([one, comma]))
    assert not set(table.digit_ids("1")) & allowed and set(table.digit_ids("2")) <= allowed


def test_adversarial_logits_cannot_break_a_list(proxy_tokenizer):
    """Logits that prefer a comma, a repeated number or the end at every step still yield k
    distinct numbers: the masks leave the model no other way out."""
    table = C.TokenTable.from_tokenizer(proxy_tokenizer)
    constraint = C.NumberListConstraint(range(1, 11), 3, table)
    favourite = [table.comma_ids[0], table.eos_ids[0], table.digit_ids("1")[0]]
    output = []
    for step in range(20):
        logits = torch.zeros(len(proxy_tokenizer))
        logits[favourite[step % 3]] = 100.0
        token = int(torch.argmax(constraint([], output, logits)))
        if token in table.eos_ids:
            break
        output.append(token)
    numbers = [int(x) for x in proxy_tokenizer.decode(output).split(",")]
    assert len(numbers) == 3 == len(set(numbers))


def test_cite_boosts_the_given_tokens_and_leaves_specials(proxy_tokenizer):
    table = C.TokenTable.from_tokenizer(proxy_tokenizer)
    source = proxy_tokenizer.encode("tablette asus", add_special_tokens=False)
    constraint = C.build(C.Cite(5.0, source + [table.eos_ids[0]]), table)
    for output_ids in ([], [source[0]], [source[0], source[1]]):  # the same boost at every step
        out = constraint([1, 2, 3], output_ids, torch.zeros(len(proxy_tokenizer)))
        assert set(torch.nonzero(out).flatten().tolist()) == set(source)
        assert float(out[source[0]]) == 5.0


def test_cite_without_ids_boosts_the_prompt(proxy_tokenizer):
    table = C.TokenTable.from_tokenizer(proxy_tokenizer)
    out = C.build(C.Cite(1.5), table)([40, 41, 40], [], torch.zeros(len(proxy_tokenizer)))
    assert set(torch.nonzero(out).flatten().tolist()) == {40, 41}


@pytest.mark.parametrize("constraint", [
    None, C.Choice([0, 1, 2]), C.NumberList([1, 2, 3], 2), C.Cite(2.0, [5, 3, 5]), C.Cite(1.5),
])
def test_constraints_cross_into_the_engine_and_back(constraint):
    import json

    from shopbench.decoding.vllm_processor import from_extra_args, to_extra_args

    extra_args = to_extra_args(constraint)
    assert from_extra_args(json.loads(json.dumps(extra_args))) == constraint


def test_descriptions_are_normalised():
    assert C.Cite(2.0, [5, 3, 5]).token_ids == (3, 5)
    assert C.Choice(range(3)) == C.Choice((0, 1, 2))
    assert C.NumberList(["1", "2"], "1") == C.NumberList((1, 2), 1)


def test_bad_descriptions_are_rejected(proxy_tokenizer):
    from shopbench.decoding.vllm_processor import EXTRA_ARGS_KEY, from_extra_args

    table = C.TokenTable.from_tokenizer(proxy_tokenizer)
    assert C.build(None, table) is None
    assert from_extra_args(None) is None and from_extra_args({}) is None
    with pytest.raises(ValueError, match="unknown constraint kind 'poem'"):
        from_extra_args({EXTRA_ARGS_KEY: {"kind": "poem"}})
    with pytest.raises(TypeError):
        C.build({"kind": "choice", "options": [1]}, table)
    with pytest.raises(ValueError):
        C.build(C.Choice([12]), table)


def test_answer_token_caps_hold_the_longest_answer():
    longest = ",".join(str(n) for n in range(40, 0, -1))
    assert C.NumberList(range(1, 41), 40).max_answer_tokens() >= len(longest)
    assert C.NumberList(range(1, 16), 3).max_answer_tokens() >= len("15,14,13")
    assert C.Choice([0, 1]).max_answer_tokens() == 1
