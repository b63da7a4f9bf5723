# mmdma: top-level build.
#
#   make               modules (for every kernel in KERNELS) and user space
#   make demo          boot a VM and show buffers being mapped (installs deps)
#   make bench         boot a VM (6.12), print the benchmarks' figures, plot
#                      them and regenerate docs/bench.md (BENCH_ARGS=peers:
#                      the side-by-side only)
#   make check         every test on every kernel, in VMs (installs deps)
#   make check-debug   every test on the debug kernel (builds it if missing)
#   make debug-kernel  build the debug kernel (KASAN, lockdep, kmemleak, ...)
#   make host-check    the host-side unit tests only (ASan/UBSan)
#   make sparse        the modules through sparse, for every kernel
#   make module KDIR=/lib/modules/$(uname -r)/build
#                      the modules (core and providers) for the running (or
#                      any) kernel, in build/host
#   make deps          install what is missing (apt-get; sudo when not root);
#                      the test VMs' kernel images are unpacked into
#                      /var/cache/mmdma/kernels, never installed: the kernel
#                      this machine boots does not change (docs/install.md)
#   make install       the CLI, libmmdma (.so, .a, headers, pkg-config), man
#                      pages, udev rule, modprobe.d example (DESTDIR, PREFIX)
#   make uninstall     what make install put there
#   make dkms-install  the modules' source into DKMS, built for every
#                      installed kernel that has headers (docs/install.md)
#   make deb           Debian packages in build/deb (docs/install.md)
#   make deb-check     build them, install them into a throw-away root, build
#                      the module there through DKMS, run the suite on it
#   make clean

KERNELS ?= deb61 deb612
PROFILES ?= mm edu edu-iommu edu-swiotlb edu-64 reserved fuzz isa
# faults needs fault injection and KUnit, which only the debug kernel has.
DEBUG_PROFILES ?= $(PROFILES) faults
O ?= build

# The one version of everything: module, library, tools, packages.
VERSION := $(shell cat VERSION)
SOMAJOR := 0

CC ?= cc
CFLAGS ?= -O2 -g
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude/uapi \
	-DMMDMA_VERSION='"$(VERSION)"'
# The guest has no shared libraries: link its programs statically.
GUEST_LDFLAGS := -static -pthread
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer

KSRC := $(wildcard kernel/*.c kernel/*.h kernel/kunit/*.c kernel/Kbuild kernel/Makefile) \
	include/uapi/linux/mmdma.h VERSION
LIB_SRC := lib/libmmdma.c
LIB_HDR := lib/libmmdma.h include/uapi/linux/mmdma.h VERSION
TEST_COMMON := tests/ktap.c tests/util.c tests/devutil.c tests/cliutil.c
TEST_HDR := tests/ktap.h tests/util.h tests/devutil.h tests/cliutil.h $(LIB_HDR)
TESTS := test_badinput test_mmap test_unload test_providers test_edu test_dio test_maps test_kinds test_explain \
	test_limits test_attach test_dmabuf test_faults test_kunit test_stress test_fuzz \
	test_privilege test_abi test_teardown test_isa test_cli test_params test_named test_pci \
	test_vfio
HOST_TESTS := test_lib test_promise test_cli
# Shell tests of the harness (vm/): each feeds it a broken case.
HOST_SCRIPTS := test_ktap_summary.sh test_guest_promise.sh test_stale_verdict.sh \
	test_install.sh test_dkms_src.sh test_vm_kernels_not_booted.sh test_isa_hook.sh \
	test_python_abi.sh

# trinity (Debian package) goes into the guest when the host has it.
TRINITY := $(wildcard /usr/bin/trinity)
# examples/: programs a user copies; built like the tests, run by test_examples.
EXAMPLES := alloc_map dma_roundtrip dio_uring dmabuf_export
GUEST_BINS := $(addprefix $(O)/bin/,$(TESTS) mmdma mmdma-bench test_trinity test_python \
		test_examples $(addprefix example_,$(EXAMPLES))) \
	$(O)/bin/demo.sh $(if $(TRINITY),$(O)/bin/trinity)
MODULES := $(foreach k,$(KERNELS),$(O)/$(k)/kernel/mmdma.ko)

all: modules userspace

userspace: $(GUEST_BINS)

modules: $(MODULES)

# Each kernel gets its own copy of the sources: Kbuild writes objects next
# to them, and two kernels must not share objects.  One Kbuild run makes
# the core, mmdma.ko, and the provider modules next to it (mmdma_edu.ko,
# mmdma_soft.ko, mmdma_isa.ko, mmdma_pci.ko; docs/provider-api.md): vm/run.sh --module
# takes the core and loads the providers it finds beside it.
$(O)/%/kernel/mmdma.ko: $(KSRC)
	@kdir=$$(vm/kernel.sh kdir $*) || { echo "make: run 'make deps' first" >&2; exit 1; }; \
	mkdir -p $(O)/$* && cp -a kernel include VERSION $(O)/$*/ && \
	$(MAKE) -C $(O)/$*/kernel KDIR=$$kdir

module: $(KSRC)
	mkdir -p $(O)/host && cp -a kernel include VERSION $(O)/host/
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
# The floppy through libaio and io_uring.
LDLIBS_isa := -laio -luring

CLI_SRC := tools/mmdma.c tools/mmdma_dev.c tools/mmdma_util.c tools/mmdma_explain.c tools/mmdma_named.c

$(O)/bin/mmdma: $(CLI_SRC) tools/mmdma_cli.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/bin
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ $(CLI_SRC) $(LIB_SRC) $(GUEST_LDFLAGS)

$(O)/bin/mmdma-bench: tools/bench.c tools/bench_maps.c tools/bench_peers.c tools/bench.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/bin
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ tools/bench.c tools/bench_maps.c tools/bench_peers.c $(LIB_SRC) $(GUEST_LDFLAGS) -laio -luring

$(O)/bin/demo.sh: tools/demo.sh
	@mkdir -p $(O)/bin
	cp $< $@

$(O)/bin/test_trinity: tests/test_trinity.sh
	@mkdir -p $(O)/bin
	cp $< $@

$(O)/bin/test_python: tests/test_python.sh
	@mkdir -p $(O)/bin
	cp $< $@

$(O)/bin/test_examples: tests/test_examples.sh
	@mkdir -p $(O)/bin
	cp $< $@

# Only the uapi header: each example builds as a user would build it.
$(O)/bin/example_%: examples/%.c include/uapi/linux/mmdma.h
	@mkdir -p $(O)/bin
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ $< $(GUEST_LDFLAGS) $(LDLIBS_example_$*)

LDLIBS_example_dio_uring := -luring

examples: $(addprefix $(O)/bin/example_,$(EXAMPLES))

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

# The CLI's behaviour without a driver, on an ASan/UBSan build of it.
$(O)/host/mmdma: $(CLI_SRC) tools/mmdma_cli.h $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/host
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(SAN) -o $@ $(CLI_SRC) $(LIB_SRC) -pthread

$(O)/host/test_cli: tests/host/test_cli.c tests/cliutil.c tests/cliutil.h tools/mmdma_util.c \
		tools/mmdma_cli.h $(LIB_SRC) $(LIB_HDR) $(O)/host/mmdma
	@mkdir -p $(O)/host
	$(CC) $(USER_CFLAGS) $(CFLAGS) $(SAN) -o $@ $< tests/cliutil.c tools/mmdma_util.c $(LIB_SRC)

host-check: $(addprefix $(O)/host/,$(HOST_TESTS))
	@for t in $^; do MMDMA_CLI=$(O)/host/mmdma $$t || exit 1; done
	@for t in $(HOST_SCRIPTS); do O=$(O) tests/host/$$t || exit 1; done

# ------------------------------------------------------------------
# Installing (docs/install.md).  Nothing here needs root but the final
# copy; DESTDIR stages it for packaging.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# udev and modprobe read /etc (and /lib), never /usr/local.
SYSCONFDIR ?= /etc
UDEVRULESDIR ?= $(SYSCONFDIR)/udev/rules.d
MODPROBEDIR ?= $(SYSCONFDIR)/modprobe.d
DKMSSRCDIR ?= /usr/src
INSTALL ?= install

LIBSO := libmmdma.so.$(VERSION)
LIB_OUT := $(O)/lib/$(LIBSO) $(O)/lib/libmmdma.so.$(SOMAJOR) $(O)/lib/libmmdma.so \
	$(O)/lib/libmmdma.a
MAN_PAGES := $(O)/man/mmdma.1 $(O)/man/libmmdma.3 $(O)/man/mmdma.4
INSTALL_OUT := $(LIB_OUT) $(O)/lib/mmdma $(MAN_PAGES)

$(O)/man/%: docs/man/% VERSION
	@mkdir -p $(O)/man
	sed -e 's|@VERSION@|$(VERSION)|g' $< > $@

$(O)/lib/libmmdma.pic.o: $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/lib
	$(CC) $(USER_CFLAGS) $(CFLAGS) -fPIC -c -o $@ $<

$(O)/lib/libmmdma.o: $(LIB_SRC) $(LIB_HDR)
	@mkdir -p $(O)/lib
	$(CC) $(USER_CFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/lib/$(LIBSO): $(O)/lib/libmmdma.pic.o
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libmmdma.so.$(SOMAJOR) -o $@ $<

$(O)/lib/libmmdma.so.$(SOMAJOR) $(O)/lib/libmmdma.so: $(O)/lib/$(LIBSO)
	ln -sf $(LIBSO) $@

$(O)/lib/libmmdma.a: $(O)/lib/libmmdma.o
	rm -f $@ && $(AR) rcs $@ $<

# The installed CLI links the shared library (the guest's, in bin/, is static).
$(O)/lib/mmdma: $(CLI_SRC) tools/mmdma_cli.h $(LIB_HDR) $(O)/lib/libmmdma.so
	$(CC) $(USER_CFLAGS) -Ilib $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_SRC) -L$(O)/lib -lmmdma

install: $(INSTALL_OUT)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/mmdma/linux $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man4 \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(MODPROBEDIR)
	$(INSTALL) -m 755 $(O)/lib/mmdma $(DESTDIR)$(BINDIR)/mmdma
	$(INSTALL) -m 644 $(O)/lib/$(LIBSO) $(DESTDIR)$(LIBDIR)/$(LIBSO)
	ln -sf $(LIBSO) $(DESTDIR)$(LIBDIR)/libmmdma.so.$(SOMAJOR)
	ln -sf libmmdma.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libmmdma.so
	$(INSTALL) -m 644 $(O)/lib/libmmdma.a $(DESTDIR)$(LIBDIR)/libmmdma.a
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
		lib/libmmdma.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libmmdma.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libmmdma.pc
	$(INSTALL) -m 644 lib/libmmdma.h $(DESTDIR)$(INCLUDEDIR)/mmdma/libmmdma.h
	$(INSTALL) -m 644 include/uapi/linux/mmdma.h $(DESTDIR)$(INCLUDEDIR)/mmdma/linux/mmdma.h
	$(INSTALL) -m 644 $(O)/man/mmdma.1 $(DESTDIR)$(MANDIR)/man1/mmdma.1
	$(INSTALL) -m 644 $(O)/man/libmmdma.3 $(DESTDIR)$(MANDIR)/man3/libmmdma.3
	$(INSTALL) -m 644 $(O)/man/mmdma.4 $(DESTDIR)$(MANDIR)/man4/mmdma.4
	$(INSTALL) -m 644 dist/60-mmdma.rules $(DESTDIR)$(UDEVRULESDIR)/60-mmdma.rules
	$(INSTALL) -m 644 dist/modprobe.conf $(DESTDIR)$(MODPROBEDIR)/mmdma.conf
	@if [ -z "$(DESTDIR)" ]; then scripts/post-install.sh "$(LIBDIR)"; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mmdma $(DESTDIR)$(LIBDIR)/$(LIBSO) \
		$(DESTDIR)$(LIBDIR)/libmmdma.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libmmdma.so \
		$(DESTDIR)$(LIBDIR)/libmmdma.a $(DESTDIR)$(PKGCONFIGDIR)/libmmdma.pc \
		$(DESTDIR)$(INCLUDEDIR)/mmdma/libmmdma.h \
		$(DESTDIR)$(INCLUDEDIR)/mmdma/linux/mmdma.h \
		$(DESTDIR)$(MANDIR)/man1/mmdma.1 $(DESTDIR)$(MANDIR)/man3/libmmdma.3 \
		$(DESTDIR)$(MANDIR)/man4/mmdma.4 $(DESTDIR)$(UDEVRULESDIR)/60-mmdma.rules \
		$(DESTDIR)$(MODPROBEDIR)/mmdma.conf
	-rmdir $(DESTDIR)$(INCLUDEDIR)/mmdma/linux $(DESTDIR)$(INCLUDEDIR)/mmdma 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# The module's DKMS source tree: what Kbuild needs and dkms.conf, nothing
# else, in $(DESTDIR)$(DKMSSRCDIR)/mmdma-$(VERSION).
DKMS_TREE := $(DESTDIR)$(DKMSSRCDIR)/mmdma-$(VERSION)

dkms-src: $(KSRC) dist/dkms.conf.in
	rm -rf $(DKMS_TREE) && mkdir -p $(DKMS_TREE)
	cp -a kernel include VERSION $(DKMS_TREE)/
	$(MAKE) -s -C $(DKMS_TREE)/kernel clean
	sed -e 's|@VERSION@|$(VERSION)|' dist/dkms.conf.in > $(DKMS_TREE)/dkms.conf

# Into the running system's DKMS, built for every kernel that has headers;
# an earlier install of the same version is removed first, so the module
# is rebuilt from this tree.
dkms-install:
	scripts/dkms-all.sh remove mmdma $(VERSION)
	$(MAKE) dkms-src
	scripts/dkms-all.sh install mmdma $(VERSION)

dkms-uninstall:
	scripts/dkms-all.sh remove mmdma $(VERSION)
	rm -rf $(DKMS_TREE)

# Debian packages, from a copy of the tree (debian/); .debs in $(O)/deb.
deb:
	O=$(O) scripts/deb.sh build $(O)/deb

deb-check: userspace
	O=$(O) scripts/deb.sh check $(O)/deb "$(KERNELS)" $(GUEST_BINS)

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

# Figures, not verdicts: one VM boot, the output kept in $(O)/vm/bench,
# plots beside it and docs/bench.md regenerated from it.  6.12 by default:
# the kernel with udmabuf and the system heap to compare against.
BENCH_KERNEL ?= deb612
BENCH_ARGS ?=
bench: deps
	$(MAKE) all KERNELS=$(BENCH_KERNEL)
	vm/run.sh --mode bench --bench-args "$(BENCH_ARGS)" \
		--kernel $$(vm/kernel.sh image $(BENCH_KERNEL)) \
		--module $(O)/$(BENCH_KERNEL)/kernel/mmdma.ko --profile bench \
		--out $(O)/vm/bench $(GUEST_BINS)
	scripts/bench-report.sh $(O)/vm/bench docs/bench.md

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

.PHONY: all userspace modules module sparse host-check deps check demo bench clean examples
.PHONY: install uninstall dkms-src dkms-install dkms-uninstall deb deb-check
.PHONY: debug-kernel check-debug
