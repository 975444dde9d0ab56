#!/bin/sh
# test_convert.sh: `gseq_mpi convert` and `gseq_mpi synth` from the command line, run from the repo
# root with the built ./gseq_mpi. Every bad input of issue 3 must give a non-zero exit, exactly one
# line on stderr naming the file and the problem, and no output file (nor a leftover temporary one).
# The NumPy string inputs of issue 20 are written by NumPy and the output checked with h5py
# ($PYTHON, default /usr/bin/python3 with python3-numpy and python3-h5py; skipped without them).
# Prints "N passed, N failed" last; exits non-zero on any failure.
BIN=${GSEQ_MPI:-./gseq_mpi}
T=$(mktemp -d /tmp/gseq_convert_XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

OUT=$T/out.h5
printf '>s1 first\nACGTN\nacgtn\n>s2\nGGCCRY\n>s3\nTTTT\n' >"$T/a.fa"
printf 'id\tCTCF\tGATA1\ns2\t1\t0\ns1\t0\t1\ns3\t1\t1\n' >"$T/a.tsv"
printf 'id\tclass\ns1\tliver\ns2\tbrain\ns3\tliver\n' >"$T/classes.tsv"
gzip -c "$T/a.fa" >"$T/a.fa.gz"

# ---- conversions that work ----
expect_ok fasta_tsv "$OUT" $BIN convert --fasta "$T/a.fa" --labels "$T/a.tsv" --out "$OUT"
expect_ok fasta_gzip_post "$T/gz.h5" $BIN convert --fasta "$T/a.fa.gz" --labels "$T/a.tsv" \
    --out "$T/gz.h5" --length 8 --padding post --compress 4
expect_ok fasta_classes "$T/cls.h5" $BIN convert --fasta "$T/a.fa" --labels "$T/classes.tsv" \
    --classes --out "$T/cls.h5"
if $BIN convert --help | grep -q -- '--deepsea' && $BIN synth --help | grep -q -- '--motifs'; then
    ok
else
    bad "help texts"
fi

# ---- bad input: FASTA and TSV ----
printf '>s1\nACGT\nACXT\n>s2\nGG\n>s3\nTT\n' >"$T/badchar.fa"
expect_fail not_a_base "$OUT" "badchar.fa line 3" "'X' is not a base" -- \
    $BIN convert --fasta "$T/badchar.fa" --labels "$T/a.tsv" --out "$OUT"
printf '>s1\nACGT\n>s2\nGG\n>s1\nTT\n' >"$T/dup.fa"
expect_fail duplicate_fasta_id "$OUT" "dup.fa line 5" "duplicate id 's1'" -- \
    $BIN convert --fasta "$T/dup.fa" --labels "$T/a.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns2\t0\ns1\t1\n' >"$T/dup.tsv"
expect_fail duplicate_tsv_id "$OUT" "dup.tsv line 4" "duplicate id 's1'" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/dup.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns2\t0\ns3\t1\ns4\t0\n' >"$T/extra.tsv"
expect_fail tsv_id_not_in_fasta "$OUT" "extra.tsv line 5" "id 's4' is not in" "a.fa" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/extra.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns3\t1\n' >"$T/short.tsv"
expect_fail fasta_id_not_in_tsv "$OUT" "a.fa line 4" "id 's2' has no row in" "short.tsv" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/short.tsv" --out "$OUT"
: >"$T/empty.fa"
expect_fail empty_fasta "$OUT" "empty.fa" "empty file" -- \
    $BIN convert --fasta "$T/empty.fa" --labels "$T/a.tsv" --out "$OUT"
: >"$T/empty.tsv"
expect_fail empty_tsv "$OUT" "empty.tsv" "empty file" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/empty.tsv" --out "$OUT"
awk 'BEGIN { print ">s1"; for (i = 0; i < 3000; i++) print "ACGTTGCAACGGTACCATGATCGATCGGATCCAGT" }' \
    | gzip -c >"$T/long.fa.gz"
head -c $(($(wc -c <"$T/long.fa.gz") / 2)) "$T/long.fa.gz" >"$T/cut.fa.gz"
printf 'id\tt\ns1\t1\n' >"$T/one.tsv"
expect_fail truncated_gzip "$OUT" "cut.fa.gz" "truncated gzip" -- \
    $BIN convert --fasta "$T/cut.fa.gz" --labels "$T/one.tsv" --out "$OUT"
printf 'id\tt\ns1\t1\ns2\t2\ns3\t0\n' >"$T/two.tsv"
expect_fail binary_label_not_01 "$OUT" "two.tsv line 3" "label 2 is not 0 or 1" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/two.tsv" --out "$OUT"
printf 'id\tt\tu\ns1\t1\n' >"$T/cols.tsv"
expect_fail tsv_columns "$OUT" "cols.tsv line 2" "2 columns, the header has 3" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/cols.tsv" --out "$OUT"
expect_fail missing_input "$OUT" "nowhere.fa" "No such file" -- \
    $BIN convert --fasta "$T/nowhere.fa" --labels "$T/a.tsv" --out "$OUT"

# ---- bad input: HDF5 sources ----
printf 'plain text, not HDF5\n' >"$T/text.mat"
expect_fail not_hdf5 "$OUT" "text.mat" "not an HDF5 file" -- $BIN convert --deepsea "$T/text.mat" --out "$OUT"
: >"$T/empty.h5"
expect_fail empty_hdf5 "$OUT" "empty.h5" "empty file" -- $BIN convert --basset "$T/empty.h5" --out "$OUT"
$BIN synth --n 300 --out "$T/full.h5" 2>/dev/null
head -c 4000 "$T/full.h5" >"$T/cut.h5"
expect_fail truncated_hdf5 "$OUT" "cut.h5" "truncated or damaged" -- \
    $BIN convert --basset "$T/cut.h5" --out "$OUT"
expect_fail missing_dataset "$OUT" "full.h5" "dataset train_in: missing" -- \
    $BIN convert --basset "$T/full.h5" --out "$OUT"

# ---- options ----
expect_status unknown_option 2 "$OUT" "unknown option --fastq" -- $BIN convert --fastq x --out "$OUT"
expect_fail no_out "$OUT" "--out FILE is required" -- $BIN convert --fasta "$T/a.fa" --labels "$T/a.tsv"
expect_status bad_padding 2 "$OUT" "--padding 'middle'" -- \
    $BIN convert --fasta "$T/a.fa" --labels "$T/a.tsv" --padding middle --out "$OUT"
expect_fail two_inputs "$OUT" "give one input" -- $BIN convert --fasta "$T/a.fa" --deepsea x --out "$OUT"

# A failed conversion leaves an existing output untouched.
cp "$T/gz.h5" "$T/keep.h5"
$BIN convert --fasta "$T/badchar.fa" --labels "$T/a.tsv" --out "$T/keep.h5" 2>/dev/null
if cmp -s "$T/gz.h5" "$T/keep.h5"; then ok; else bad "failed conversion changed an existing output"; fi

# ---- NumPy strings (issue 20): files written by NumPy, the output checked with h5py ----
# np_write DIR writes the inputs and, for each case, CASE.exp.npz: the rows, lengths and labels
# (and label names) expected, tokenized here in Python as FASTA is (A C G T U = 1..4, IUPAC = 5).
# np_check CASE OUT: OUT holds exactly CASE's expectation (values, types and shapes).
PY=${PYTHON:-/usr/bin/python3}
np_write() {
    "$PY" - "$1" <<'EOF'
import sys
import numpy as np
d = sys.argv[1]
TOK = dict(zip("ACGTU", [1, 2, 3, 4, 4]), **{c: 5 for c in "NRYSWKMBDHV"})
def expect(case, seqs, y, L=None, pad="pre", names=None):
    toks = [[TOK[c.upper()] for c in s] for s in seqs]
    L = L or max(len(t) for t in toks)
    x = np.zeros((len(seqs), L), np.uint8)
    for i, t in enumerate(toks):
        t = (t[len(t) - L:] if pad == "pre" else t[:L]) if len(t) > L else t
        if pad == "pre":
            x[i, L - len(t):] = t
        else:
            x[i, :len(t)] = t
    ex = dict(x=x, length=np.array([min(len(t), L) for t in toks], np.int32),
              y=np.asarray(y).reshape(len(seqs), -1), pad=pad)
    if names:
        ex["names"] = np.array(names)
    np.savez(f"{d}/{case}.exp.npz", **ex)
seqs = ["ACGT", "GGGCCA", "tta", "ACGTRYKMSWBDHVN"]
lab = np.array([1, 0, 1, 0], np.int64)
np.save(f"{d}/u.npy", np.array(seqs))                         # <U15
np.save(f"{d}/ube.npy", np.array(seqs).astype(">U15"))        # big-endian UTF-32
np.save(f"{d}/s.npy", np.array([q.encode() for q in seqs]))   # |S15
np.save(f"{d}/lab.npy", lab)
expect("u", seqs, lab.astype(np.uint8))
expect("s_post", seqs, lab.astype(np.uint8), pad="post")
expect("trim_pre", seqs, lab.astype(np.uint8), L=4)
expect("trim_post", seqs, lab.astype(np.uint8), L=4, pad="post")
expect("long", seqs, lab.astype(np.uint8), L=20)
expect("limit", seqs[:2], lab[:2].astype(np.uint8))
st = np.array([("ACGT", 1), ("", 0), ("ggn", 1)], dtype=[("seq", "U200"), ("label", "i8")])
np.save(f"{d}/st.npy", st)
expect("st", ["ACGT", "", "ggn"], np.array([1, 0, 1], np.uint8), names=["label"])
np.savez(f"{d}/st.npz", data=st)
wide = np.array([("r1", b"ACGTAC", 0.5, 1), ("r2", b"TT", 0.25, 0)],
                dtype=[("id", "U8"), ("dna", "S12"), ("score", "<f4"), ("bound", "u1")])
np.save(f"{d}/wide.npy", wide)
expect("wide_bound", ["ACGTAC", "TT"], np.array([1, 0], np.uint8), names=["bound"])
expect("wide_all", ["ACGTAC", "TT"], np.array([[0.5, 1], [0.25, 0]], np.float32),
       names=["score", "bound"])
np.save(f"{d}/pairs.npy", np.array([["ACGT", "1"], ["GG", "0"], ["T", "1.0"]]))  # (N, 2) <U4
expect("pairs", ["ACGT", "GG", "T"], np.array([1, 0, 1], np.uint8))
np.savez_compressed(f"{d}/xy.npz", X=np.array(seqs), y=lab)
np.save(f"{d}/badchar.npy", np.array(["ACGT", "GGXA"]))
np.save(f"{d}/accent.npy", np.array(["ACG\u00e9"]))
np.save(f"{d}/lab2.npy", lab[:2])
np.save(f"{d}/lab1.npy", lab[:1])
np.save(f"{d}/empty.npy", np.array(["", ""]))
np.save(f"{d}/object.npy", np.array(seqs, dtype=object), allow_pickle=True)
np.save(f"{d}/pairs_bad.npy", np.array([["ACGT", "1"], ["GG", "liver"]]))
np.save(f"{d}/names.npy", np.array([("ACGT", "a")], dtype=[("seq", "U4"), ("name", "U4")]))
np.save(f"{d}/tok.npy", np.array([[1, 2, 3, 4], [4, 3, 2, 1]], np.uint8))
# more rows than a block holds (about 52000 of U40), deflated: both passes read it block by block
rng = np.random.default_rng(20)
many = ["".join(rng.choice(list("ACGTNacgt"), rng.integers(1, 41))) for _ in range(70000)]
yl = rng.integers(0, 2, len(many))
np.savez_compressed(f"{d}/many.npz", data=np.array(list(zip(many, yl)),
                                                   dtype=[("seq", "U40"), ("label", "i1")]))
expect("many", many, yl.astype(np.uint8), pad="post", names=["label"])
EOF
}
np_check() {
    if "$PY" - "$T/$1.exp.npz" "$2" <<'EOF' >"$T/py" 2>&1; then ok; else bad "numpy $1: $(tail -1 "$T/py")"; fi
import sys
import h5py
import numpy as np
ex = np.load(sys.argv[1])
with h5py.File(sys.argv[2], "r") as f:
    y = ex["y"]
    want_y = y.astype(np.uint8) if y.dtype == np.uint8 else y.astype(np.float32)
    for name, want in (("x", ex["x"]), ("length", ex["length"]), ("y", want_y)):
        got = f[name][()]
        if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
            sys.exit(f"/{name}: {got.dtype} {got.shape} {got.tolist()}, expected {want.dtype} "
                     f"{want.shape} {want.tolist()}")
    if f.attrs["padding"] != str(ex["pad"]):
        sys.exit(f"padding {f.attrs['padding']}, expected {ex['pad']}")
    names = [v.decode() for v in f["target_names"][()]] if "target_names" in f else None
    if "names" in ex and names != list(ex["names"]):
        sys.exit(f"/target_names {names}, expected {list(ex['names'])}")
EOF
}
if "$PY" -c 'import numpy, h5py' 2>/dev/null; then
    np_write "$T"
    expect_ok npy_unicode "$T/u.h5" $BIN convert --npy-x "$T/u.npy" --npy-y "$T/lab.npy" --out "$T/u.h5"
    np_check u "$T/u.h5"
    expect_ok npy_unicode_big_endian "$T/ube.h5" $BIN convert --npy-x "$T/ube.npy" \
        --npy-y "$T/lab.npy" --out "$T/ube.h5"
    np_check u "$T/ube.h5"
    expect_ok npy_bytes_post "$T/s.h5" $BIN convert --npy-x "$T/s.npy" --npy-y "$T/lab.npy" \
        --padding post --out "$T/s.h5"
    np_check s_post "$T/s.h5"
    for pad in pre post; do
        expect_ok npy_trim_$pad "$T/t_$pad.h5" $BIN convert --npy-x "$T/u.npy" --npy-y "$T/lab.npy" \
            --length 4 --padding $pad --out "$T/t_$pad.h5"
        np_check trim_$pad "$T/t_$pad.h5"
    done
    expect_ok npy_longer "$T/l.h5" $BIN convert --npy-x "$T/u.npy" --npy-y "$T/lab.npy" \
        --length 20 --out "$T/l.h5"
    np_check long "$T/l.h5"
    expect_ok npy_limit "$T/lim.h5" $BIN convert --npy-x "$T/u.npy" --npy-y "$T/lab.npy" \
        --limit 2 --out "$T/lim.h5"
    np_check limit "$T/lim.h5"
    expect_ok npy_structured "$T/st.h5" $BIN convert --npy-x "$T/st.npy" --out "$T/st.h5"
    np_check st "$T/st.h5"
    expect_ok npz_structured "$T/stz.h5" $BIN convert --npz "$T/st.npz" --out "$T/stz.h5"
    np_check st "$T/stz.h5"
    expect_ok npy_fields_named "$T/wb.h5" $BIN convert --npy-x "$T/wide.npy" --x-name dna \
        --y-name bound --out "$T/wb.h5"
    np_check wide_bound "$T/wb.h5"
    expect_ok npy_fields_all "$T/wa.h5" $BIN convert --npy-x "$T/wide.npy" --x-name dna \
        --out "$T/wa.h5"
    np_check wide_all "$T/wa.h5"
    expect_ok npy_pairs "$T/pairs.h5" $BIN convert --npy-x "$T/pairs.npy" --out "$T/pairs.h5"
    np_check pairs "$T/pairs.h5"
    expect_ok npz_strings "$T/xy.h5" $BIN convert --npz "$T/xy.npz" --out "$T/xy.h5"
    np_check u "$T/xy.h5"
    expect_ok npz_many_blocks "$T/many.h5" $BIN convert --npz "$T/many.npz" --padding post \
        --out "$T/many.h5"
    np_check many "$T/many.h5"
    expect_fail npy_bad_base "$OUT" "badchar.npy: row 1 position 2: 'X' is not a base" -- \
        $BIN convert --npy-x "$T/badchar.npy" --npy-y "$T/lab2.npy" --out "$OUT"
    expect_fail npy_not_ascii "$OUT" "accent.npy: row 0 position 3: U+00E9 is not a base" -- \
        $BIN convert --npy-x "$T/accent.npy" --npy-y "$T/lab1.npy" --out "$OUT"
    expect_fail npy_object "$OUT" "object.npy: an object array (dtype '|O'" \
        "np.save(path, arr.astype(str))" -- \
        $BIN convert --npy-x "$T/object.npy" --npy-y "$T/lab.npy" --out "$OUT"
    expect_fail npy_all_empty "$OUT" "empty.npy: every sequence is empty" -- \
        $BIN convert --npy-x "$T/empty.npy" --npy-y "$T/lab2.npy" --out "$OUT"
    expect_fail npy_pairs_bad_label "$OUT" "pairs_bad.npy: row 1 column 1: 'liver' is not a label" -- \
        $BIN convert --npy-x "$T/pairs_bad.npy" --out "$OUT"
    expect_fail npy_no_labels "$OUT" "u.npy: holds sequences but no labels" "--npy-y" -- \
        $BIN convert --npy-x "$T/u.npy" --out "$OUT"
    expect_fail npy_no_label_field "$OUT" "names.npy: no field of numbers" "--y-name" -- \
        $BIN convert --npy-x "$T/names.npy" --out "$OUT"
    expect_fail npy_unknown_field "$OUT" "--x-name seq: " "wide.npy has no such array or field" \
        "id <U8, dna |S12" -- $BIN convert --npy-x "$T/wide.npy" --x-name seq --out "$OUT"
    expect_fail npy_several_strings "$OUT" "wide.npy: several string fields" "--x-name" -- \
        $BIN convert --npy-x "$T/wide.npy" --out "$OUT"
    expect_fail npy_length_numeric "$OUT" "--length applies to FASTA and NumPy strings" -- \
        $BIN convert --npy-x "$T/tok.npy" --npy-y "$T/lab2.npy" --length 8 --out "$OUT"
else
    echo "SKIP: the NumPy string tests ($PY has no numpy or h5py)"
fi

# ---- synth: deterministic from the seed ----
expect_ok synth_binary "$T/s1.h5" $BIN synth --n 2000 --seed 5 --out "$T/s1.h5"
$BIN synth --n 2000 --seed 5 --out "$T/s2.h5"
$BIN synth --n 2000 --seed 6 --out "$T/s3.h5"
if cmp -s "$T/s1.h5" "$T/s2.h5"; then ok; else bad "synth: same seed, different files"; fi
if cmp -s "$T/s1.h5" "$T/s3.h5"; then bad "synth: different seeds, same file"; else ok; fi
expect_ok synth_multilabel "$T/m.h5" $BIN synth --mode multilabel --n 200 --targets 4 --out "$T/m.h5"
$BIN synth --mode multilabel --n 200 --targets 4 --out "$T/m2.h5"
if cmp -s "$T/m.h5" "$T/m2.h5"; then ok; else bad "synth multilabel not deterministic"; fi
expect_ok synth_background "$T/bg.h5" $BIN synth --n 100 --background "$T/long.fa.gz" --out "$T/bg.h5"
expect_status synth_bad_mode 2 "$OUT" "--mode 'regression'" -- $BIN synth --mode regression --out "$OUT"

finish
