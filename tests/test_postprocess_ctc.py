"""CTC decoding: collapse rules, positions, dictionary layouts and beam search."""

from __future__ import annotations

import numpy as np
import pytest

from lumenocr.errors import DictionaryMismatchError
from lumenocr.postprocess.ctc import CTCDecoder, load_dictionary

# labels: 0 blank, 1 "a", 2 "b", 3 "c", 4 " "
DEC = CTCDecoder(("a", "b", "c"))
_ = 0


def probs_from(path, conf=None, num_classes=5):
    """(1, T, C) probabilities whose argmax follows ``path``; the winner gets ``conf[t]``
    (default 0.9) and the rest is spread evenly."""
    t = len(path)
    conf = [0.9] * t if conf is None else conf
    p = np.empty((1, t, num_classes), np.float32)
    for i, (k, c) in enumerate(zip(path, conf)):
        p[0, i] = (1 - c) / (num_classes - 1)
        p[0, i, k] = c
    return p


def test_labels_layout():
    assert DEC.labels == ("<blank>", "a", "b", "c", " ")
    assert DEC.num_classes == 5
    assert CTCDecoder(("a",), use_space_char=False).labels == ("<blank>", "a")


def test_greedy_collapse_repeats_and_blanks():
    # a a _ a -> "aa": the repeat merges, the blank separates the second a.
    res = DEC.decode(probs_from([1, 1, _, 1]))[0]
    assert res.text == "aa"
    assert res.char_spans == [(0, 1), (3, 3)]
    assert res.grid_width == 4


def test_greedy_blanks_only_and_leading_trailing_blanks():
    assert DEC.decode(probs_from([_, _, _]))[0].text == ""
    res = DEC.decode(probs_from([_, 2, 2, _, _, 3, 4, 1, _]))[0]
    assert res.text == "bc a"
    assert res.char_spans == [(1, 2), (5, 5), (6, 6), (7, 7)]


def test_char_scores_are_span_maxima_and_score_is_their_mean():
    res = DEC.decode(probs_from([1, 1, _, 2, 3, 3, 3], conf=[0.5, 0.8, 0.99, 0.7, 0.6, 0.95, 0.4]))[0]
    assert res.text == "abc"
    assert res.char_scores == pytest.approx([0.8, 0.7, 0.95])
    assert res.score == pytest.approx((0.8 + 0.7 + 0.95) / 3)


def test_empty_result_scores_zero():
    res = DEC.decode(probs_from([_, _]))[0]
    assert res.text == "" and res.score == 0.0 and res.char_spans == [] and res.char_scores == []


def test_valid_widths_truncate_padding_columns():
    batch = np.concatenate([probs_from([1, _, 2, _, 1, 2]), probs_from([3, 3, _, 1, _, 2])])
    full = DEC.decode(batch)
    assert [r.text for r in full] == ["abab", "cab"]
    cut = DEC.decode(batch, valid_widths=[3, 1])
    assert [r.text for r in cut] == ["ab", "c"]
    assert cut[1].char_spans == [(0, 0)]  # the run of c is cut at the valid width
    assert DEC.decode(batch, valid_widths=[0, 6])[0].text == ""


def test_decode_rejects_wrong_class_count():
    with pytest.raises(DictionaryMismatchError, match="6"):
        DEC.decode(probs_from([1, 2], num_classes=6))


# -- dictionary layouts ------------------------------------------------------------------------
def test_for_model_n_plus_2_adds_space():
    dec = CTCDecoder.for_model(["a", "b", "c"], 5)
    assert dec.labels == ("<blank>", "a", "b", "c", " ")


def test_for_model_n_plus_1_no_space():
    dec = CTCDecoder.for_model(["a", "b", "c"], 4)
    assert dec.labels == ("<blank>", "a", "b", "c")


def test_for_model_dictionary_with_leading_blank_entry():
    dec = CTCDecoder.for_model(["blank", "a", "b", "c"], 5)
    assert dec.labels == ("<blank>", "a", "b", "c", " ")
    dec = CTCDecoder.for_model(["<blank>", "a", "b", "c"], 4)
    assert dec.labels == ("<blank>", "a", "b", "c")


def test_for_model_dictionary_that_already_holds_a_space():
    # A space as the last entry and n+1 classes: the space comes from the dictionary.
    dec = CTCDecoder.for_model(["a", "b", " "], 4)
    assert dec.labels == ("<blank>", "a", "b", " ")
    assert dec.decode(probs_from([1, 3, 2], num_classes=4))[0].text == "a b"
    # PaddleOCR appends the space class even when the dictionary has one (n+2 classes).
    dec = CTCDecoder.for_model(["a", " ", "b"], 5)
    assert dec.num_classes == 5 and dec.labels[-1] == " "


def test_for_model_without_class_count():
    assert CTCDecoder.for_model(["a", "b"], None).use_space_char is True
    assert CTCDecoder.for_model(["a", " "], None).use_space_char is False


def test_for_model_mismatch_names_both_sizes():
    with pytest.raises(DictionaryMismatchError) as e:
        CTCDecoder.for_model(["a", "b", "c"], 10, source="keys.txt")
    msg = str(e.value)
    assert "keys.txt" in msg and "3 characters" in msg and "10 classes" in msg


def test_load_dictionary_keeps_space_lines(tmp_path):
    f = tmp_path / "keys.txt"
    f.write_bytes("a\n \n\u3000\nb".encode())  # no trailing newline
    assert load_dictionary(str(f)) == ["a", " ", "\u3000", "b"]


def test_load_dictionary_crlf_and_trailing_newline(tmp_path):
    f = tmp_path / "keys.txt"
    f.write_bytes(b"a\r\n \r\nb\r\n")
    assert load_dictionary(str(f)) == ["a", " ", "b"]
    f.write_bytes(b"x\ny\n")
    assert load_dictionary(str(f)) == ["x", "y"]


def test_load_dictionary_ignores_byte_order_mark(tmp_path):
    f = tmp_path / "keys.txt"
    f.write_bytes("\ufeffa\nb\n".encode())
    assert load_dictionary(str(f)) == ["a", "b"]


# -- beam search -------------------------------------------------------------------------------
def test_beam_equals_greedy_when_one_path_dominates():
    p = probs_from([1, 1, _, 2, _, 3, 4, 4, 1], conf=[0.97] * 9)
    greedy = DEC.decode(p)[0]
    beam = DEC.beam_decode(p, beam_width=5)[0]
    assert beam.text == greedy.text == "abc a"
    assert beam.char_spans == greedy.char_spans  # positions kept when the texts agree
    assert beam.score == pytest.approx(greedy.score)


def test_beam_finds_merged_paths_that_greedy_misses():
    # Two steps with P(blank) = 0.6, P(a) = 0.4. The best single path is "_ _" -> "" (0.36),
    # but "a a", "a _" and "_ a" all collapse to "a": 0.16 + 0.24 + 0.24 = 0.64.
    dec = CTCDecoder(("a",), use_space_char=False)
    p = np.array([[[0.6, 0.4], [0.6, 0.4]]], np.float32)
    assert dec.decode(p)[0].text == ""
    res = dec.beam_decode(p, beam_width=4)[0]
    assert res.text == "a"
    assert res.score == pytest.approx(0.64, abs=1e-4)
    assert res.char_spans is None  # positions come from the greedy path only


def test_beam_matches_brute_force_on_random_short_sequences():
    # With no pruning and a beam wider than the number of prefixes, prefix beam search is
    # exact: it must pick the label sequence with the largest summed path probability.
    dec = CTCDecoder(("a", "b"), use_space_char=False)
    rng = np.random.default_rng(3)
    for _trial in range(20):
        p = rng.dirichlet(np.ones(3) * 0.7, size=(1, 4)).astype(np.float32)
        best = _brute_force_best(p[0], dec)
        assert dec.beam_decode(p, beam_width=64, prune=0.0)[0].text == best


def _brute_force_best(p, dec):
    import itertools

    totals: dict[str, float] = {}
    for path in itertools.product(range(p.shape[1]), repeat=p.shape[0]):
        text, prev = [], None
        for k in path:
            if k != prev and k != 0:
                text.append(dec.labels[k])
            prev = k
        s = "".join(text)
        totals[s] = totals.get(s, 0.0) + float(np.prod([p[t, k] for t, k in enumerate(path)]))
    return max(totals, key=totals.get)


def test_beam_handles_zero_valid_width():
    p = probs_from([1, 2])
    res = DEC.beam_decode(p, beam_width=4, valid_widths=[0])[0]
    assert res.text == "" and res.score == 0.0
