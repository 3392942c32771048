# bench/bench.mk - benchmarks side by side with vsftpd and Pure-FTPd (issue 8).
# Included from the top Makefile; never part of `make check`.
#
#   make bench           full run (1 GiB transfers, 5 runs, ~20 minutes)
#   make bench QUICK=1   small sizes, few runs, under three minutes
#   make ftpload         only the load generator ($(BUILD)/ftpload)
#   make bench-ktls      the FTPS rows in a KVM guest with kernel TLS (the VM of
#                        make check-ktls; bench/ktls.sh), about 25 minutes
#
# RUNS=N, BENCH_PORT=N, BENCH_LIMITD=auto|yes|no, BENCH_MINIFTPD=PATH, BENCH_TLS,
# BENCH_TLS_SIZE_MB, BENCH_TLS_KEY, BENCH_ROWS, BENCH_SERVERS and BENCH_RESULTS are
# passed on to bench/run.sh; see bench/README.md.

FTPLOAD      := $(BUILD)/ftpload
BENCH_CFLAGS := $(WARN) $(HARDEN) $(CFLAGS) -D_GNU_SOURCE -pthread
BENCH_LIMIT  := $(if $(filter 1,$(QUICK)),300,3600)

# The limitd engineer's micro-benchmark, when it exists (contract in bench/README.md).
LIMITD_BENCH := $(if $(wildcard bench/limitd_bench.c),$(BUILD)/limitd_bench)

# The kernel's share of a LIST, for the report (bench/README.md, LIST).
LISTFLOOR := $(BUILD)/listfloor

# The machine's price of a system call, a fork, a page fault and a page touched
# by a new process, for the report.
MACHCOST := $(BUILD)/machcost

.PHONY: bench bench-ktls ftpload

ftpload: $(FTPLOAD)

$(FTPLOAD): bench/ftpload.c | $(BUILD)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -pie -pthread $(LDFLAGS) $(SSL_LIBS)

$(LISTFLOOR): bench/listfloor.c | $(BUILD)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -pie $(LDFLAGS)

$(MACHCOST): bench/machcost.c | $(BUILD)
	$(CC) $(BENCH_CFLAGS) -o $@ $< -pie $(LDFLAGS)

$(BUILD)/limitd_bench: bench/limitd_bench.c bench/benchproc.c $(BUILD)/libminiftpd.a
	$(CC) $(ALL_CFLAGS) -Ibench -o $@ bench/limitd_bench.c bench/benchproc.c $(BUILD)/libminiftpd.a $(LDFLAGS_ALL) $(PKG_LIBS) $(SSL_LIBS) $(PAM_LIBS)

# limitd alone against limitd_cluster on a private redis-server (issue 21):
# make build/rel/limitd_cluster_bench && build/rel/limitd_cluster_bench
$(BUILD)/limitd_cluster_bench: bench/limitd_cluster_bench.c bench/benchproc.c $(BUILD)/libminiftpd.a
	$(CC) $(ALL_CFLAGS) -Ibench -o $@ bench/limitd_cluster_bench.c bench/benchproc.c $(BUILD)/libminiftpd.a $(LDFLAGS_ALL) $(PKG_LIBS) $(SSL_LIBS) $(PAM_LIBS)

# A server that does not build is reported as such; the peers are still measured.
bench: $(FTPLOAD) $(LISTFLOOR) $(MACHCOST)
	@$(MAKE) --no-print-directory all $(LIMITD_BENCH) || \
		echo "bench: the build failed; measuring whatever binaries exist" >&2
	@QUICK='$(QUICK)' RUNS='$(RUNS)' BENCH_PORT='$(BENCH_PORT)' \
		BENCH_LIMITD='$(BENCH_LIMITD)' BENCH_MINIFTPD='$(BENCH_MINIFTPD)' \
		BENCH_TLS='$(BENCH_TLS)' BENCH_TLS_SIZE_MB='$(BENCH_TLS_SIZE_MB)' \
		BENCH_TLS_KEY='$(BENCH_TLS_KEY)' BENCH_ROWS='$(BENCH_ROWS)' BENCH_SERVERS='$(BENCH_SERVERS)' \
		BENCH_RESULTS='$(BENCH_RESULTS)' \
		timeout -s TERM $(BENCH_LIMIT) \
		bash bench/run.sh $(BUILD) $(FTPLOAD)

# The FTPS rows in a KVM guest whose kernel has kernel TLS (issue 17): the VM of
# make check-ktls, whose tools scripts/deps.sh ktls installs.  BENCH_VM_PASSES,
# BENCH_VM_MEM, BENCH_VM_TIMEOUT: bench/ktls.sh.
bench-ktls: all $(FTPLOAD) $(LISTFLOOR) $(MACHCOST)
	@sh scripts/deps.sh ktls
	@QUICK='$(QUICK)' RUNS='$(RUNS)' BENCH_TLS_SIZE_MB='$(BENCH_TLS_SIZE_MB)' \
		BENCH_TLS_KEY='$(BENCH_TLS_KEY)' BENCH_RESULTS='$(BENCH_RESULTS)' \
		BENCH_VM_PASSES='$(BENCH_VM_PASSES)' BENCH_VM_MEM='$(BENCH_VM_MEM)' \
		BENCH_VM_TIMEOUT='$(BENCH_VM_TIMEOUT)' \
		bash bench/ktls.sh $(BUILD)
