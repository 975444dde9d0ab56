#!/bin/sh
# test_holdout.sh: the chromosome hold-out (data.test_chroms, data.valid_chroms, cv --folds-by chrom)
# and the genome coordinates predict carries into its outputs, run from the repo root with the built
# ./gseq_mpi, and eval --chroms. The fixture is `gseq_mpi synth` data to which h5py adds /chrom, /start, /end and
# /strand; every expectation (rows per chromosome, coordinates) is computed from the file in Python
# ($PYTHON, default /usr/bin/python3 with python3-numpy and python3-h5py; skipped without them).
# Every bad request must exit 1 with exactly one line on stderr naming the problem.
# Prints "N passed, N failed" last; exits non-zero on any failure.
BIN=${GSEQ_MPI:-./gseq_mpi}
PY=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
MPIRUN="mpirun --oversubscribe -np"
T=$(mktemp -d /tmp/gseq_holdout_XXXXXX)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
    echo "skipped: $PY lacks h5py or numpy (apt-get install python3-h5py python3-numpy)"
    echo "0 passed, 0 failed"
    exit 0
fi


# ---- the fixture: 600 rows on 7 chromosomes (interleaved, not sorted), with coordinates ----
D=$T/d.h5
$BIN synth --mode binary --n 600 --seed 3 --out "$D" >/dev/null || { bad "synth"; D=; }
cp "$D" "$T/plain.h5"
"$PY" - "$D" <<'EOF' || bad "fixture"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'a') as f:
    n = f['x'].shape[0]
    rng = np.random.default_rng(5)
    names = np.array(['chr1', 'chr2', 'chr3', 'chr4', 'chr5', 'chr6', 'chrX'])
    chrom = names[rng.choice(len(names), size=n, p=[.25, .2, .15, .12, .1, .1, .08])]
    s = h5py.string_dtype('utf-8')
    f.create_dataset('chrom', data=chrom.astype(object), dtype=s)
    start = rng.integers(0, 10**8, size=n).astype(np.int64)
    f.create_dataset('start', data=start)
    f.create_dataset('end', data=start + 190)
    f.create_dataset('strand', data=rng.choice(['+', '-', '.'], size=n).astype(object), dtype=s)
EOF
cat >"$T/conv.ini" <<'EOF'
[train]
batch = 50
epochs = 2
lr = 0.01
seed = 3
[onehot]
[conv1d]
filters = 8
width = 8
[lambda]
type = pool_time
mode = max
[output]
type = dense
EOF
TRAIN="$BIN train --config $T/conv.ini --data $D --quiet --force"
# rows on each chromosome, from the file
ROWS="import h5py, collections; c = collections.Counter(x.decode() for x in h5py.File('$D')['chrom'][:])"

# ---- train: the test and validation rows are exactly the rows of the named chromosomes ----
HOLD="--set data.test_chroms=chr5,chrX --set data.valid_chroms=chr2"
if $TRAIN $HOLD --out "$T/p1" >"$T/p1.out" 2>&1; then ok; else bad "train 1 rank: $(cat "$T/p1.out")"; fi
py_check "test rows are chr5 and chrX" "$ROWS
import json; n = json.load(open('$T/p1/test_metrics.json'))['n']
assert n == c['chr5'] + c['chrX'], (n, c)"
py_check "training rows are the other chromosomes" "$ROWS
import re; m = re.search(r'\((\d+) samples, (\d+) for training\)', open('$T/p1/train.log').read())
assert int(m.group(2)) == sum(c.values()) - c['chr5'] - c['chrX'] - c['chr2'], (m.group(0), c)"
if $MPIRUN 2 $TRAIN $HOLD --out "$T/p2" >"$T/p2.out" 2>&1; then ok; else bad "train 2 ranks: $(cat "$T/p2.out")"; fi
SAME="import json
def lines(d): return [json.loads(l) for l in open(d + '/metrics.jsonl')]
a, b = lines('$T/p1'), lines('$T/pX')
assert len(a) == len(b) == 2
for x, y in zip(a, b):
    for k in ('train_loss', 'val_loss'):
        assert abs(x[k] - y[k]) <= 1e-4 * abs(x[k]), (k, x[k], y[k])
s, t = json.load(open('$T/p1/test_metrics.json')), json.load(open('$T/pX/test_metrics.json'))
assert s['n'] == t['n'] and abs(s['loss'] - t['loss']) <= 1e-4 * abs(s['loss']), (s, t)"
py_check "2 ranks train as 1" "$(echo "$SAME" | sed "s|$T/pX|$T/p2|g")"
# sharded, each rank plans its own rows: the same chromosomes are held out over all shards
if $MPIRUN 2 $TRAIN $HOLD --data-mode shard --out "$T/s2" >"$T/s2.out" 2>&1; then ok; else bad "train shard: $(cat "$T/s2.out")"; fi
py_check "shards hold out the same rows" "$ROWS
import json; assert json.load(open('$T/s2/test_metrics.json'))['n'] == c['chr5'] + c['chrX']"
# valid_chroms alone: test_fraction of the other rows, never one on chr2
if $TRAIN --set data.valid_chroms=chr2 --set data.test_fraction=0.25 --out "$T/v1" >"$T/v1.out" 2>&1; then ok; else bad "valid_chroms alone: $(cat "$T/v1.out")"; fi
py_check "valid_chroms alone" "$ROWS
import json, re; n = json.load(open('$T/v1/test_metrics.json'))['n']
other = sum(c.values()) - c['chr2']
m = re.search(r'(\d+) for training', open('$T/v1/train.log').read())
assert abs(n - 0.25 * other) <= 2 and int(m.group(1)) == other - n, (n, other, m.group(0))"

# ---- cv --folds-by chrom: folds of whole chromosomes, balanced, the same when trained alone ----
CV="$BIN cv --config $T/conv.ini --data $D --quiet --set data.test_chroms=chrX"
if $CV --folds 3 --folds-by chrom --out "$T/cv" >"$T/cv.out" 2>&1; then ok; else bad "cv --folds-by chrom: $(cat "$T/cv.out")"; fi
py_check "folds.tsv: every chromosome in one fold, chrX the test" "$ROWS
rows = [l.rstrip('\n').split('\t') for l in open('$T/cv/folds.tsv')][1:]
fold = {ch: int(k) for k, ch, n in rows}
assert sorted(fold) == sorted(c) and len(rows) == len(c), rows
assert fold['chrX'] == 0 and all(int(n) == c[ch] for k, ch, n in rows), rows
sizes = [sum(c[ch] for ch in fold if fold[ch] == k) for k in (1, 2, 3)]
assert min(sizes) > 0 and max(sizes) - min(sizes) <= max(c.values()), sizes"
# train --folds 3 --fold 2 with data.folds_by=chrom validates on exactly fold 2's chromosomes,
# and gives the cv task's result
if $TRAIN --set data.test_chroms=chrX --set data.folds_by=chrom --folds 3 --fold 2 --out "$T/f2" \
    >"$T/f2.out" 2>&1; then ok; else bad "train --fold by chrom: $(cat "$T/f2.out")"; fi
py_check "a fold trained alone" "$ROWS
import re
rows = [l.rstrip('\n').split('\t') for l in open('$T/cv/folds.tsv')][1:]
held = sum(c[ch] for k, ch, n in rows if k in ('0', '2'))
m = re.search(r'(\d+) for training', open('$T/f2/train.log').read())
assert int(m.group(1)) == sum(c.values()) - held, (m.group(0), held)
import json; best = min(json.loads(l)['val_loss'] for l in open('$T/f2/metrics.jsonl'))
cv = [l.split('\t') for l in open('$T/cv/cv.tsv')][1:]
got = [float(r[4]) for r in cv if r[2] == '2'][0]
assert abs(got - best) <= 1e-4 * abs(best), (got, best)"
if $MPIRUN 2 $CV --folds 3 --folds-by chrom --out "$T/cv2" >"$T/cv2.out" 2>&1 &&
    cmp -s "$T/cv/folds.tsv" "$T/cv2/folds.tsv"; then ok; else bad "cv 2 ranks: $(cat "$T/cv2.out")"; fi

# ---- bad requests: one line, exit 1 ----
expect_fail "unknown test chromosome" - "data.test_chroms" "chr99" "$D" -- \
    $TRAIN --set data.test_chroms=chr99 --out "$T/e1"
expect_fail "unknown valid chromosome" - "data.valid_chroms" "chrY" "$D" -- \
    $TRAIN --set data.valid_chroms=chrY --out "$T/e2"
expect_fail "shared chromosome" - "data.valid_chroms and data.test_chroms" "chr3" -- \
    $TRAIN --set data.test_chroms=chr2,chr3 --set data.valid_chroms=chr3 --out "$T/e3"
expect_fail "no /chrom" - "plain.h5" "no /chrom" "data.test_chroms" -- \
    $BIN train --config "$T/conv.ini" --data "$T/plain.h5" --quiet --set data.test_chroms=chr1 --out "$T/e4"
expect_fail "no /chrom, 2 ranks" - "plain.h5" "no /chrom" -- \
    $MPIRUN 2 $BIN train --config "$T/conv.ini" --data "$T/plain.h5" --quiet \
    --set data.test_chroms=chr1 --out "$T/e5"
expect_fail "cv by chrom without /chrom" - "plain.h5" "no /chrom" "folds_by" -- \
    $BIN cv --config "$T/conv.ini" --data "$T/plain.h5" --quiet --folds-by chrom --out "$T/e6"
expect_fail "more folds than chromosomes" - "8 folds by chromosome" "6 chromosomes" -- \
    $CV --folds 8 --folds-by chrom --out "$T/e7"
expect_fail "valid_chroms in cv" - "data.valid_chroms" "folds" -- \
    $CV --folds 3 --set data.valid_chroms=chr1 --out "$T/e8"
expect_fail "an empty name in the list" - "data.test_chroms" "commas" -- \
    $TRAIN --set data.test_chroms=chr1,,chr2 --out "$T/e9"
expect_fail "a chromosome twice" - "each chromosome once" -- \
    $TRAIN --set data.test_chroms=chr1,chr1 --out "$T/e10"
expect_fail "test file and test_chroms" - "data.test and data.test_chroms" -- \
    $TRAIN --set data.test_chroms=chr1 --set data.test="$D" --out "$T/e11"
expect_status "bad folds-by" 2 - "--folds-by" -- $CV --folds-by genes --out "$T/e12"
# a malformed /chrom stops every rank when the data is loaded, naming the dataset
cp "$T/plain.h5" "$T/short.h5"
"$PY" -c "import h5py; f = h5py.File('$T/short.h5', 'a'); f['chrom'] = ['chr1'] * 599" || bad "short /chrom"
expect_fail "/chrom one short" - "short.h5" "dataset /chrom" "(600)" -- \
    $MPIRUN 2 $BIN train --config "$T/conv.ini" --data "$T/short.h5" --quiet --out "$T/e13"

# ---- eval --chroms: the test chromosomes alone give train's test metrics ----
CK=$T/p1/best.h5
if $BIN eval --checkpoint "$CK" --data "$D" --chroms chr5,chrX --out "$T/ev" --quiet &&
    $MPIRUN 2 $BIN eval --checkpoint "$CK" --data "$D" --chroms chrX,chr5 --out "$T/ev2" --quiet; then
    ok
else
    bad "eval --chroms"
fi
py_check "eval --chroms = train's test" "import json
t = json.load(open('$T/p1/test_metrics.json'))
for d in ('$T/ev', '$T/ev2'):
    e = json.load(open(d + '/metrics.json'))
    assert e['n'] == t['n'] and abs(e['loss'] - t['loss']) <= 1e-6 and abs(e['auroc_mean'] - t['auroc']) <= 1e-6, (e, t)"
expect_fail "eval --chroms unknown" - "--chroms" "chrQ" "$D" -- \
    $BIN eval --checkpoint "$CK" --data "$D" --chroms chr5,chrQ --out "$T/ev3"
expect_fail "eval --chroms without /chrom" - "plain.h5" "no /chrom" -- \
    $MPIRUN 2 $BIN eval --checkpoint "$CK" --data "$T/plain.h5" --chroms chr5 --out "$T/ev4"

# ---- predict: the coordinates of the input in HDF5 and in the BED-like TSV ----
if $BIN predict --checkpoint "$CK" --data "$D" --out "$T/pred.h5" --quiet &&
    $BIN predict --checkpoint "$CK" --data "$D" --out "$T/pred.tsv" --tsv --quiet &&
    $MPIRUN 2 $BIN predict --checkpoint "$CK" --data "$D" --out "$T/pred2.tsv" --tsv --quiet; then
    ok
else
    bad "predict"
fi
py_check "predict HDF5 coordinates" "import h5py, numpy as np
a, b = h5py.File('$D'), h5py.File('$T/pred.h5')
for k in ('chrom', 'strand'):
    assert list(a[k].asstr()[:]) == list(b[k].asstr()[:]), k
for k in ('start', 'end'):
    assert b[k].dtype == np.int64 and (a[k][:] == b[k][:]).all(), k
assert b['probabilities'].shape == (600, 1) and b['id'].shape == (600,)"
py_check "predict TSV: chrom, start, end, strand, then the targets" "import h5py, numpy as np
a, p = h5py.File('$D'), h5py.File('$T/pred.h5')
lines = [l.rstrip('\n').split('\t') for l in open('$T/pred.tsv')]
assert lines[0][:4] == ['#chrom', 'start', 'end', 'strand'] and len(lines[0]) == 5, lines[0]
body = lines[1:]
assert len(body) == 600
assert [r[0] for r in body] == list(a['chrom'].asstr()[:])
assert [int(r[1]) for r in body] == list(a['start'][:]) and [int(r[2]) for r in body] == list(a['end'][:])
assert [r[3] for r in body] == list(a['strand'].asstr()[:])
q = np.array([float(r[4]) for r in body]); assert np.allclose(q, p['probabilities'][:, 0], atol=1e-6)"
if cmp -s "$T/pred.tsv" "$T/pred2.tsv"; then ok; else bad "predict TSV differs with 2 ranks"; fi
# without /strand: chrom, start, end; without coordinates: id, as before
"$PY" -c "import h5py; f = h5py.File('$D', 'a'); del f['strand']" || bad "drop /strand"
if $BIN predict --checkpoint "$CK" --data "$D" --out "$T/ns.tsv" --tsv --quiet &&
    [ "$(head -1 "$T/ns.tsv" | cut -f1-3)" = "$(printf '#chrom\tstart\tend')" ] &&
    [ "$(head -1 "$T/ns.tsv" | awk -F'\t' '{print NF}')" -eq 4 ]; then
    ok
else
    bad "TSV without strand: $(head -1 "$T/ns.tsv")"
fi
if $BIN predict --checkpoint "$CK" --data "$T/plain.h5" --out "$T/plain.tsv" --tsv --quiet &&
    [ "$(head -1 "$T/plain.tsv" | cut -f1)" = "id" ]; then ok; else bad "TSV without coordinates"; fi
"$PY" -c "import h5py; f = h5py.File('$D', 'a'); del f['end']" || bad "drop /end"
expect_fail "predict: /chrom without /end" - "$D" "/start and /end" -- \
    $BIN predict --checkpoint "$CK" --data "$D" --out "$T/bad.h5" --quiet
"$PY" -c "import h5py; f = h5py.File('$D', 'a'); f['end'] = f['start'][:]" || bad "empty windows"
expect_fail "predict: an empty window" - "$D" "row 0" "start < end" -- \
    $BIN predict --checkpoint "$CK" --data "$D" --out "$T/bad.h5" --quiet

finish
