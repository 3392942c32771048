# miniftpd - build, test, run.  `make help` lists the targets.

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
SANITIZE ?= 0

PKGS	:= libcap libsystemd libcrypt libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcap -lsystemd -lcrypt -lseccomp)
# hiredis (Debian libhiredis-dev): limitd only, for limitd_cluster (the
# Redis store of a farm); included as <hiredis/hiredis.h>, no -I.
PKG_LIBS   += $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
# miniftpd itself needs no libsystemd (listen.c reads LISTEN_FDS itself)
# and no libseccomp at run time (its filters are compiled at build time,
# see below): it is the one binary exec'ed per connection under socket
# activation.  limitd keeps libsystemd for sd_notify.
# PAM (pam_service_name): Debian libpam0g-dev; miniftpd only (and the tests).
PAM_LIBS := $(shell pkg-config --libs pam 2>/dev/null || echo -lpam)
FTPD_PKGS := libcap libcrypt
FTPD_LIBS  := $(shell pkg-config --libs $(FTPD_PKGS) 2>/dev/null || echo -lcap -lcrypt) $(PAM_LIBS)
SECCOMP_LIBS := $(shell pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp)
# FTPS: OpenSSL 3 (Debian libssl-dev), miniftpd (and the tests that
# link its modules); limitd too, for rediss:// (limitredisio.c).  src/tlsdeleg.c uses the deprecated EC_KEY_METHOD /
# RSA_METHOD and defines OPENSSL_API_COMPAT 1.1.1 itself (tlsdeleg.h).
SSL_CFLAGS := $(shell pkg-config --cflags openssl 2>/dev/null)
SSL_LIBS   := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)

WARN	:= -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual -Wformat=2 -Wno-format-nonliteral -Werror
HARDEN	:= -fstack-protector-strong -fPIE
CFLAGS	?= -O2 -g
ifeq ($(SANITIZE),1)
BUILD	:= build/san
CFLAGS	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN	:= -fsanitize=address,undefined
else
BUILD	:= build/rel
HARDEN	+= -D_FORTIFY_SOURCE=2
LDSAN	:=
endif
ALL_CFLAGS := $(WARN) $(HARDEN) $(CFLAGS) -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) $(SSL_CFLAGS) -MMD -MP
LDFLAGS_ALL := -pie -Wl,-z,relro,-z,now $(LDSAN) $(LDFLAGS)

# Modules shared by both binaries.
COMMON	:= str buf sys_mem sys_io sys_file sys_net sys_event sys_proc sys_cred sys_time \
	   log config vsfcompat frame limitproto limitstore
# Only miniftpd.
FTPD	:= main listen runtime prelogin postlogin ftpcmd ftpproto ftpfs privproto privsock privclient \
	   privhelper privdrop sandbox auth authpam userdb path limitclient \
	   dataconn dataaddr datacmd datasetup transfer ls lsfmt lssort mlsx ftptime idnames xferlog \
	   ftptls tls tlssign tlsdeleg tlsproc tlsctl tlsdata tunables
# Only limitd.
# The daemon's own files (one state, D): not in libminiftpd.a.
LIMITD_DAEMON := limitd limitd_clients limitd_handlers
LIMITD	:= limitd limitd_clients limitd_handlers limitcluster limitclusterstat limitredis limitredisio limitstat limittab limitfail hash mempool

COMMON_OBJ := $(COMMON:%=$(BUILD)/%.o)
FTPD_OBJ   := $(FTPD:%=$(BUILD)/%.o)
LIMITD_OBJ := $(LIMITD:%=$(BUILD)/%.o)
BINS	:= $(BUILD)/miniftpd $(if $(LIMITD),$(BUILD)/limitd)

.PHONY: all deps check unit integ run clean help

all: $(BINS)
	@ln -sf $(BUILD)/miniftpd miniftpd
	@if [ -n "$(LIMITD)" ]; then ln -sf $(BUILD)/limitd limitd; fi

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD):
	@mkdir -p $(BUILD) $(BUILD)/tests

$(BUILD)/miniftpd: $(FTPD_OBJ) $(COMMON_OBJ)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(FTPD_LIBS) $(SSL_LIBS)

# The seccomp filters: libseccomp compiles src/sandbox_policy.c's rules to
# BPF once, here; sandbox.c includes the programs (sandbox_policy.h).
$(BUILD)/genseccomp: tools/genseccomp.c $(BUILD)/sandbox_policy.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS_ALL) $(SECCOMP_LIBS)

$(BUILD)/seccomp_bpf.h: $(BUILD)/genseccomp
	$(BUILD)/genseccomp > $@.tmp && mv $@.tmp $@

$(BUILD)/sandbox.o: $(BUILD)/seccomp_bpf.h
$(BUILD)/sandbox.o: ALL_CFLAGS += -I$(BUILD)

$(BUILD)/limitd: $(LIMITD_OBJ) $(COMMON_OBJ)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(PKG_LIBS) $(SSL_LIBS)

# Debian packages for building and testing; installs them when root.
deps:
	@sh scripts/deps.sh

include tests/tests.mk
include tests/fuzz/fuzz.mk
include mk/install.mk
include mk/deb.mk
include mk/systemd.mk
include mk/ktls.mk

help:
	@echo "make            build miniftpd and limitd"
	@echo "make run        start a demo server on 127.0.0.1:2121 (PORT=, HOST=)"
	@echo "make check      install missing Debian packages (as root), build, run every test"
	@echo "make check SANITIZE=1   the same under ASan+UBSan"
	@echo "make fuzz [FUZZ_SECONDS=60]   run every libFuzzer target (clang)"
	@echo "make bench [QUICK=1]   benchmarks side by side with vsftpd and Pure-FTPd"
	@echo "make bench-ktls [QUICK=1]   the FTPS rows in a KVM guest with kernel TLS (root)"
	@echo "make install / uninstall [PREFIX= DESTDIR=]"
	@echo "make deb        the Debian package in build/deb, lintian clean"
	@echo "make check-deb  install/serve/upgrade/purge it in a Debian 12 container (root)"
	@echo "make check-systemd   make install into a Debian 12 container, check the units under its systemd (root)"
	@echo "make docs       regenerate the option lists of etc/miniftpd.conf and miniftpd.conf(5)"
	@echo "make clean"

clean:
	rm -rf build miniftpd limitd

-include $(wildcard $(BUILD)/*.d)

# The quick-start demo server: 127.0.0.1:2121, user demo / demo.
run: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/run-demo.sh $(BUILD)

# Benchmarks (bench/bench.mk): make bench [QUICK=1]
-include bench/bench.mk
