#!/bin/sh
# Installs the Debian packages that gseq_mpi needs to build and test, if any is missing.
# Run by `make` and `make test`; safe to run again. Needs root or sudo when something is missing.
# bowtie2-examples gives the tests a real genome (phage lambda; a 10 MB package), tabix the bgzip
# program they compress a genome with.
# Arguments name more packages, for the tools that only some targets use (make fuzz: clang
# libclang-rt-14-dev; make valgrind: valgrind; make cppcheck: cppcheck).
set -eu
PKGS="make gcc pkg-config libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev hdf5-tools libinih-dev libjansson-dev libhts-dev libbigwig-dev libcmocka-dev zlib1g-dev python3 python3-numpy python3-h5py bowtie2-examples tabix $*"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: ✓ mpicc, OpenBLAS, HDF5, inih, jansson, htslib, libBigWig, cmocka, python3, bowtie2-examples, tabix${*:+, $*} found"
    exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
