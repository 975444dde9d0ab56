# gseq_mpi build: one static library (libgseq.a) that the program and every test link against.
# Libraries are found through pkg-config; point elsewhere (cluster modules) with the variables below:
#   make HDF5_CFLAGS=-I$HDF5_DIR/include HDF5_LIBS="-L$HDF5_DIR/lib -lhdf5"
#   make BLAS_CFLAGS=-I$OPENBLAS_DIR/include BLAS_LIBS="-L$OPENBLAS_DIR/lib -lopenblas"
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
TEST_CFLAGS ?= $(shell $(PKG) --cflags cmocka 2>/dev/null)
TEST_LIBS   ?= $(shell $(PKG) --libs cmocka 2>/dev/null)

CFLAGS  ?= -std=c11 $(OPT) $(ARCH) -g -Wall -Wextra -Wshadow -Wno-unused-parameter
CPPFLAGS += -Iinclude -D_POSIX_C_SOURCE=200809L $(HDF5_CFLAGS) $(BLAS_CFLAGS) $(INIH_CFLAGS)
LDLIBS  += $(HDF5_LIBS) $(BLAS_LIBS) $(INIH_LIBS) -lz -lm

BUILD   := build
LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libgseq.a
TESTS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
TEST_HELPERS := $(filter-out tests/test_%.c,$(wildcard tests/*.c))

.PHONY: all deps test demo bench clean fixtures

# The demo: synthetic data with a planted JASPAR motif, the seed LSTM trained by 2 processes, the
# held-out 20% evaluated next to the planted motif's oracle. DEMO_ARGS adds train options.
DEMO_DIR  ?= build/demo
DEMO_ARGS ?= --set train.epochs=12 --set train.lr=0.003 --set train.batch=50 --set lambda.mode=max --set train.patience=0
all: deps gseq_mpi

# Installs what is missing (Debian/Ubuntu, as root or through sudo); says what it found.
deps:
	@tools/install-deps.sh

gseq_mpi: $(BUILD)/main.o $(LIB)
	$(MPICC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(TEST_HELPERS) $(LIB) | $(BUILD)
	@mkdir -p $(BUILD)/tests
	$(MPICC) $(CPPFLAGS) $(TEST_CFLAGS) $(CFLAGS) -Itests -o $@ $< $(TEST_HELPERS) $(LIB) $(TEST_LIBS) $(LDLIBS)

$(BUILD):
	@mkdir -p $(BUILD)

# Every test binary runs; the summary line counts them. Shell tests (tests/*.sh) run after.
test: deps gseq_mpi $(TESTS)
	@tools/run-tests.sh $(TESTS)

demo: deps gseq_mpi
	@mkdir -p $(DEMO_DIR)
	./gseq_mpi synth --mode binary --n 4000 --seed 1 --out $(DEMO_DIR)/data.h5
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 \
	mpirun --oversubscribe -np 2 ./gseq_mpi train --config jobs/configs/seed_lstm.ini \
	    --data $(DEMO_DIR)/data.h5 --out $(DEMO_DIR)/run --force $(DEMO_ARGS)

# Benchmarks (never part of make test): see tools/bench.sh.
bench: deps gseq_mpi $(BUILD)/bench_data $(BUILD)/bench_model $(BUILD)/bench_ftz.so
	tools/bench.sh
	tools/bench_convert.sh

$(BUILD)/bench_data: tools/bench_data.c $(LIB)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/bench_model: tools/bench_model.c $(LIB)
	$(MPICC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/bench_ftz.so: tools/bench_ftz.c | $(BUILD)
	$(CC) -O2 -shared -fPIC -o $@ $<

# Regenerate the PyTorch parity fixtures (needs Debian's python3-torch and python3-h5py).
fixtures:
	/usr/bin/python3 tools/make_torch_fixtures.py tests/fixtures

clean:
	rm -rf $(BUILD) gseq_mpi

-include $(LIB_OBJ:.o=.d) $(BUILD)/main.d
