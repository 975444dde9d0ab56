# gseq_mpi build: one static library (libgseq.a) that the program and every test link against.
# Libraries are found through pkg-config; point elsewhere (cluster modules) with the variables below:
#   make HDF5_CFLAGS=-I$HDF5_DIR/include HDF5_LIBS="-L$HDF5_DIR/lib -lhdf5"
#   make BLAS_CFLAGS=-I$OPENBLAS_DIR/include BLAS_LIBS="-L$OPENBLAS_DIR/lib -lopenblas"
#   make JSON_CFLAGS=-I$JANSSON_DIR/include JSON_LIBS="-L$JANSSON_DIR/lib -ljansson"
#   make HTS_CFLAGS=-I$HTSLIB_DIR/include HTS_LIBS="-L$HTSLIB_DIR/lib -lhts"
#   make BIGWIG_CFLAGS=-I$LIBBIGWIG_DIR/include BIGWIG_LIBS="-L$LIBBIGWIG_DIR/lib -lBigWig"
# libBigWig has no pkg-config file: its default is the system's -lBigWig (Debian libbigwig-dev).
# MPI comes from the mpicc wrapper (MPICC=...). ARCH= clears -march=native for mixed-CPU clusters.

MPICC   ?= mpicc
ARCH    ?= -march=native
OPT     ?= -O3
PKG     ?= pkg-config

HDF5_CFLAGS ?= $(shell $(PKG) --cflags hdf5 2>/dev/null)
HDF5_LIBS   ?= $(shell $(PKG) --libs hdf5 2>/dev/null)
BLAS_CFLAGS ?= $(shell $(PKG) --cflags openblas 2>/dev/null)
BLAS_LIBS   ?= $(shell $(PKG) --libs openblas 2>/dev/null)
INIH_CFLAGS ?= $(shell $(PKG) --cflags inih 2>/dev/null)
INIH_LIBS   ?= $(shell $(PKG) --libs inih 2>/dev/null)
JSON_CFLAGS ?= $(shell $(PKG) --cflags jansson 2>/dev/null)
JSON_LIBS   ?= $(shell $(PKG) --libs jansson 2>/dev/null)
HTS_CFLAGS  ?= $(shell $(PKG) --cflags htslib 2>/dev/null)
HTS_LIBS    ?= $(shell $(PKG) --libs htslib 2>/dev/null)
BIGWIG_CFLAGS ?=
BIGWIG_LIBS   ?= -lBigWig
TEST_CFLAGS ?= $(shell $(PKG) --cflags cmocka 2>/dev/null)
TEST_LIBS   ?= $(shell $(PKG) --libs cmocka 2>/dev/null)

CFLAGS  ?= -std=c11 $(OPT) $(ARCH) -g -Wall -Wextra -Wshadow -Wno-unused-parameter
CPPFLAGS += -Iinclude -D_POSIX_C_SOURCE=200809L $(HDF5_CFLAGS) $(BLAS_CFLAGS) $(INIH_CFLAGS) $(JSON_CFLAGS) $(HTS_CFLAGS) $(BIGWIG_CFLAGS)
LDLIBS  += $(HDF5_LIBS) $(BLAS_LIBS) $(INIH_LIBS) $(JSON_LIBS) $(HTS_LIBS) $(BIGWIG_LIBS) -lz -lm

BUILD   := build
# The folders of src/ are the floors of the program, each using only those before it:
# base (errors, allocation, random numbers), nn (layers, model, loss, Adam), data (files and
# converters), parallel (MPI, the update, the data's distribution), train (trainer, checkpoints,
# metrics, inference), cli (main and the commands). Every .c file in them is built.
FLOORS  := base nn data parallel train cli
MAIN_SRC := src/cli/main.c
LIB_SRC := $(filter-out $(MAIN_SRC),$(foreach f,$(FLOORS),$(wildcard src/$(f)/*.c)))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libgseq.a
TESTS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
TEST_HELPERS := $(filter-out tests/test_%.c,$(wildcard tests/*.c))

.PHONY: all deps test demo bench clean fixtures sanitize valgrind fuzz cppcheck

# The demo: synthetic data with a planted JASPAR motif, the short-sequence recipe
# (jobs/configs/short_conv.ini, docs/recipes.md) trained by 2 processes, the held-out 20% evaluated
# next to the planted motif's oracle; the last line says whether it came within 0.02 AUROC of it.
# DEMO_CONFIG and DEMO_ARGS (train options) change the model.
DEMO_DIR    ?= build/demo
DEMO_CONFIG ?= jobs/configs/short_conv.ini
DEMO_ARGS   ?=
all: gseq_mpi

# Installs what is missing (Debian/Ubuntu, as root or through sudo); says what it found.
deps:
	@tools/install-deps.sh

gseq_mpi: $(BUILD)/cli/main.o $(LIB)
	$(MPICC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(TEST_HELPERS) $(LIB) | $(BUILD)
	@mkdir -p $(BUILD)/tests
	$(MPICC) $(CPPFLAGS) $(TEST_CFLAGS) $(CFLAGS) -Itests -o $@ $< $(TEST_HELPERS) $(LIB) $(TEST_LIBS) $(LDLIBS)

$(BUILD):
	@mkdir -p $(BUILD)

# Every test binary runs; the summary line counts them. Shell tests (tests/*.sh) run after.
test: deps gseq_mpi $(TESTS) $(BUILD)/bedgraph_to_bigwig
	@tools/run-tests.sh $(TESTS)

demo: deps gseq_mpi
	@mkdir -p $(DEMO_DIR)
	./gseq_mpi synth --mode binary --n 4000 --seed 1 --out $(DEMO_DIR)/data.h5
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 \
	mpirun --oversubscribe -np 2 ./gseq_mpi train --config $(DEMO_CONFIG) \
	    --data $(DEMO_DIR)/data.h5 --out $(DEMO_DIR)/run --force $(DEMO_ARGS)
	@tools/demo_verdict.sh $(DEMO_DIR)/run 0.02

# Benchmarks (never part of make test): see tools/bench.sh.
bench: deps gseq_mpi $(BUILD)/bench_data $(BUILD)/bench_model $(BUILD)/bench_ftz.so $(BUILD)/bedgraph_to_bigwig
	tools/bench.sh
	tools/bench_convert.sh
	tools/bench_genome.sh
	tools/bench_variants.sh

# bigWig files for tests/test_bigwig.sh and the benchmarks, from bedGraph text (no UCSC tool needed).
$(BUILD)/bedgraph_to_bigwig: tools/bedgraph_to_bigwig.c $(LIB)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/bench_data: tools/bench_data.c $(LIB)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/bench_model: tools/bench_model.c $(LIB)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/bench_ftz.so: tools/bench_ftz.c | $(BUILD)
	$(CC) -O2 -shared -fPIC -o $@ $<

# Regenerate the PyTorch parity fixtures (needs Debian's python3-torch and python3-h5py).
fixtures:
	/usr/bin/python3 tools/make_torch_fixtures.py tests/fixtures

# ---- Reliability tools (never part of make test; docs/reliability.md) ----
# The program in another build directory (make BUILD=build/x build/x/gseq_mpi).
$(BUILD)/gseq_mpi: $(BUILD)/cli/main.o $(LIB)
	$(MPICC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer (any report fails it),
# run from build/sanitize/root, where ./gseq_mpi is the sanitized program.
SAN_DIR    ?= build/sanitize
SAN_CFLAGS ?= -std=c11 -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
              -fno-omit-frame-pointer -Wall -Wextra -Wshadow -Wno-unused-parameter
sanitize: deps
	$(MAKE) --no-print-directory BUILD=$(SAN_DIR) CFLAGS="$(SAN_CFLAGS)" \
	    $(SAN_DIR)/gseq_mpi $(patsubst $(BUILD)/%,$(SAN_DIR)/%,$(TESTS)) $(SAN_DIR)/nodlclose.so \
	    $(SAN_DIR)/bedgraph_to_bigwig
	tools/sanitize.sh $(SAN_DIR) $(patsubst $(BUILD)/%,$(SAN_DIR)/%,$(TESTS))

$(BUILD)/nodlclose.so: tools/nodlclose.c | $(BUILD)
	$(CC) -O2 -shared -fPIC -o $@ $<

# valgrind memcheck on a short training run with 1 and 2 ranks (a build without -march=native:
# valgrind does not know AVX-512).
VG_DIR    ?= build/valgrind
VG_CFLAGS ?= -std=c11 -O1 -g -Wall -Wextra -Wshadow -Wno-unused-parameter
valgrind:
	@tools/install-deps.sh valgrind
	$(MAKE) --no-print-directory BUILD=$(VG_DIR) CFLAGS="$(VG_CFLAGS)" $(VG_DIR)/gseq_mpi
	tools/valgrind.sh $(VG_DIR)/gseq_mpi

# libFuzzer targets (clang) for the FASTA/TSV, config and HDF5 readers; FUZZ_SECONDS each
# (default 60), FUZZ_SEED fixed (0: drawn). Crashes and hangs are written to build/fuzz/crashes/
# and sorted (tools/fuzz.sh): only those in gseq_mpi's code fail; the corpora grow in
# build/fuzz/corpus/. CI runs 20 s each (.ci/run).
FUZZ_DIR     ?= build/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_SEED    ?= 0
FUZZ_TARGETS := fuzz_fasta_tsv fuzz_config fuzz_hdf5
FUZZ_FLAGS   := -std=c11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,float-cast-overflow \
                -fno-sanitize-recover=all -Wall -Wextra -Wshadow -Wno-unused-parameter
FUZZ_MPI_CFLAGS = $(shell $(MPICC) --showme:compile 2>/dev/null)
FUZZ_OBJ := $(LIB_SRC:src/%.c=$(FUZZ_DIR)/obj/%.o)
fuzz:
	@tools/install-deps.sh clang libclang-rt-14-dev
	$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
	FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_SEED=$(FUZZ_SEED) tools/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(FUZZ_DIR)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(CPPFLAGS) $(FUZZ_MPI_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libgseq.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_DIR)/libgseq.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(CPPFLAGS) -Itests/fuzz -o $@ $< $(FUZZ_DIR)/libgseq.a \
	    $(shell $(MPICC) --showme:link 2>/dev/null) $(LDLIBS)

# Static analysis; findings and their answers are in docs/reliability.md ("cppcheck").
cppcheck:
	@tools/install-deps.sh cppcheck
	cppcheck --std=c11 --enable=warning,performance,portability --inline-suppr --quiet \
	    --error-exitcode=1 --library=tools/cppcheck.cfg --suppressions-list=tools/cppcheck.supp \
	    -Iinclude src tests

clean:
	rm -rf $(BUILD) gseq_mpi

-include $(LIB_OBJ:.o=.d) $(BUILD)/cli/main.d $(FUZZ_OBJ:.o=.d)
