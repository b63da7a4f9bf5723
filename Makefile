# mmdma: top-level build.
#
#   make               modules (for every kernel in KERNELS) and user space
#   make demo          boot a VM and show buffers being mapped (installs deps)
#   make bench         boot a VM and print the benchmarks' figures
#   make check         every test on every kernel, in VMs (installs deps)
#   make check-debug   every test on the debug kernel (builds it if missing)
#   make debug-kernel  build the debug kernel (KASAN, lockdep, kmemleak, ...)
#   make host-check    the host-side unit tests only (ASan/UBSan)
#   make sparse        the module through sparse, for every kernel
#   make module KDIR=/lib/modules/$(uname -r)/build
#                      the module for the running (or any) kernel, in build/host
#   make deps          install what is missing (apt-get; sudo when not root)
#   make clean

KERNELS ?= deb61 deb612
PROFILES ?= mm edu edu-iommu edu-swiotlb edu-64 reserved fuzz
# faults needs fault injection and KUnit, which only the debug kernel has.
DEBUG_PROFILES ?= $(PROFILES) faults
O ?= build

CC ?= cc
CFLAGS ?= -O2 -g
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude/uapi
# The guest has no shared libraries: link its programs statically.
GUEST_LDFLAGS := -static -pthread
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer

KSRC := $(wildcard kernel/*.c kernel/*.h kernel/kunit/*.c kernel/Kbuild kernel/Makefile) \
	include/uapi/linux/mmdma.h
LIB_SRC := lib/libmmdma.c
LIB_HDR := lib/libmmdma.h include/uapi/linux/mmdma.h
TEST_COMMON := tests/ktap.c tests/util.c tests/devutil.c
TEST_HDR := tests/ktap.h tests/util.h tests/devutil.h $(LIB_HDR)
TESTS := test_badinput test_mmap test_unload test_edu test_dio test_maps test_kinds test_explain \
	test_limits test_attach test_dmabuf test_faults test_kunit test_stress test_fuzz \
	test_privilege test_abi test_teardown
HOST_TESTS := test_lib test_promise
# Shell tests of the harness (vm/): each feeds it a broken case.
HOST_SCRIPTS := test_ktap_summary.sh test_guest_promise.sh test_stale_verdict.sh

# trinity (Debian package) goes into the guest when the host has it.
TRINITY := $(wildcard /usr/bin/trinity)
GUEST_BINS := $(addprefix $(O)/bin/,$(TESTS) mmdma mmdma-bench test_trinity) \
	$(O)/bin/demo.sh $(if $(TRINITY),$(O)/bin/trinity)
MODULES := $(foreach k,$(KERNELS),$(O)/$(k)/kernel/mmdma.ko)

all: modules userspace

userspace: $(GUEST_BINS)

modules: $(MODULES)

# Each kernel gets its own copy of the sources: Kbuild writes objects next
# to them, and two kernels must not share objects.
$(O)/%/kernel/mmdma.ko: $(KSRC)
	@kdir=$$(vm/kernel.sh kdir $*) || { echo "make: run 'make deps' first" >&2; exit 1; }; \
	mkdir -p $(O)/$* && cp -a kernel include $(O)/$*/ && \
	$(MAKE) -C $(O)/$*/kernel KDIR=$$kdir

module: $(KSRC)
	mkdir -p $(O)/host && cp -a kernel include $(O)/host/
	$(MAKE) -C $(O)/host/kernel $(if $(KDIR),KDIR=$(KDIR))

sparse: $(MODULES)
	@for k in $(KERNELS); do \
		echo "sparse: $$k"; \
		$(MAKE) -C $(O)/$$k/kernel KDIR=$$(vm/kernel.sh kdir $$k) sparse 2>&1 | \
			tee $(O)/$$k/sparse.log | grep -E 'warning|error' && exit 1; \
	done; echo "sparse: clean"

$(O)/bin/test_%: tests/test_%.c $(TEST_COMMON) $(TEST_HDR) $(LIB_SRC)
	@mkdir -p $(O)/bin
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ $< $(TEST_COMMON) $(LIB_SRC) $(GUEST_LDFLAGS) $(LDLIBS_$*)

# Asynchronous I/O through both kernel interfaces.
LDLIBS_dio := -laio -luring
# io_uring reads into mapped buffers.
LDLIBS_maps := -luring
# io_uring fixed buffers: direct I/O from memory that is not user-backed.
LDLIBS_abi := -luring
LDLIBS_faults := -laio -luring
LDLIBS_stress := -laio -luring
# libaio requests stalled on userfaultfd pages while the engine goes.
LDLIBS_teardown := -laio

CLI_SRC := tools/mmdma.c tools/mmdma_dev.c tools/mmdma_explain.c

$(O)/bin/mmdma: $(CLI_SRC) tools/mmdma_cli.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/bin
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ $(CLI_SRC) $(LIB_SRC) $(GUEST_LDFLAGS)

$(O)/bin/mmdma-bench: tools/bench.c tools/bench_maps.c tools/bench.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/bin
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ tools/bench.c tools/bench_maps.c $(LIB_SRC) $(GUEST_LDFLAGS) -laio -luring

$(O)/bin/demo.sh: tools/demo.sh
	@mkdir -p $(O)/bin
	cp $< $@

$(O)/bin/test_trinity: tests/test_trinity.sh
	@mkdir -p $(O)/bin
	cp $< $@

$(O)/bin/trinity: $(TRINITY)
	@mkdir -p $(O)/bin
	cp $< $@

$(O)/host/test_%: tests/host/test_%.c $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/host
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(SAN) -o $@ $< $(LIB_SRC)

# The guest programs' helpers, on the host.
$(O)/host/test_promise: tests/host/test_promise.c $(TEST_COMMON) $(TEST_HDR) $(LIB_SRC)
	@mkdir -p $(O)/host
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(SAN) -o $@ $< $(TEST_COMMON) $(LIB_SRC)

host-check: $(addprefix $(O)/host/,$(HOST_TESTS))
	@for t in $^; do $$t || exit 1; done
	@for t in $(HOST_SCRIPTS); do tests/host/$$t || exit 1; done

deps:
	scripts/deps.sh $(KERNELS)

check: deps
	$(MAKE) all
	$(MAKE) sparse
	$(MAKE) host-check
	vm/check.sh $(O) "$(KERNELS)" "$(PROFILES)" $(GUEST_BINS)

demo: deps
	$(MAKE) all
	vm/run.sh --mode demo --kernel $$(vm/kernel.sh image $(firstword $(KERNELS))) \
		--module $(O)/$(firstword $(KERNELS))/kernel/mmdma.ko --profile mm \
		--out $(O)/vm/demo $(GUEST_BINS)

# Figures, not verdicts: one VM boot, the output kept in $(O)/vm/bench.
bench: deps
	$(MAKE) all
	vm/run.sh --mode bench --kernel $$(vm/kernel.sh image $(firstword $(KERNELS))) \
		--module $(O)/$(firstword $(KERNELS))/kernel/mmdma.ko --profile bench \
		--out $(O)/vm/bench $(GUEST_BINS)

# The debug kernel (scripts/debug-kernel.sh): built once, cached outside the
# clone.  check-debug runs the whole suite on it, every profile; the module
# is rebuilt each time, as the cached kernel may have changed under it.
debug-kernel:
	scripts/debug-kernel.sh

check-debug:
	scripts/deps.sh debug
	vm/kernel.sh image debug > /dev/null 2>&1 || scripts/debug-kernel.sh
	rm -rf $(O)/debug
	$(MAKE) check KERNELS=debug PROFILES="$(DEBUG_PROFILES)"

clean:
	rm -rf $(O)

.PHONY: all userspace modules module sparse host-check deps check demo bench clean
.PHONY: debug-kernel check-debug
