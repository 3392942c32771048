# tests/tests.mk - unit tests (cmocka), fuzz corpus replay, integration tests (pytest-3).
#
# Every unit test is tests/unit/test_NAME.c, linked against libminiftpd.a
# (every module but the two main files) and cmocka.  Every fuzz target is
# tests/fuzz/fuzz_NAME.c with LLVMFuzzerTestOneInput, replayed over
# tests/fuzz/corpus/NAME/* by tests/fuzz/fuzz_main.c.

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(filter-out tests/fuzz/fuzz_main.c,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%)
LIB_OBJ   := $(filter-out $(BUILD)/main.o $(LIMITD_DAEMON:%=$(BUILD)/%.o),$(COMMON_OBJ) $(FTPD_OBJ) $(LIMITD_OBJ))
TEST_CFLAGS := $(filter-out -Wmissing-prototypes,$(ALL_CFLAGS)) $(shell pkg-config --cflags cmocka 2>/dev/null)

$(BUILD)/tests:
	@mkdir -p $@

$(BUILD)/libminiftpd.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libminiftpd.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -o $@ $< $(BUILD)/libminiftpd.a $(LDFLAGS_ALL) -lcmocka $(PKG_LIBS) $(SSL_LIBS) $(PAM_LIBS)

$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_main.c $(BUILD)/libminiftpd.a | $(BUILD)/tests
	$(CC) $(TEST_CFLAGS) -o $@ $< tests/fuzz/fuzz_main.c $(BUILD)/libminiftpd.a $(LDFLAGS_ALL) $(PKG_LIBS) $(SSL_LIBS) $(PAM_LIBS)

unit: all $(UNIT_BINS) $(FUZZ_BINS)
	@python3 tools/rawcalls.py --self-test && python3 tools/rawcalls.py src
	@sh tests/run-unit.sh $(BUILD) $(UNIT_BINS) -- $(FUZZ_BINS)

integ: all ftpload
	@sh tests/run-integ.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory unit SANITIZE=$(SANITIZE)
	@$(MAKE) --no-print-directory integ SANITIZE=$(SANITIZE)
	@if [ "$(SANITIZE)" != 1 ] && [ "$(CHECK_DEB)" != 0 ]; then \
		$(MAKE) --no-print-directory check-deb; fi
	@if [ "$(SANITIZE)" != 1 ] && [ "$(CHECK_SYSTEMD)" != 0 ]; then \
		$(MAKE) --no-print-directory check-systemd; fi
	@if [ "$(SANITIZE)" != 1 ] && [ "$(CHECK_KTLS)" != 0 ]; then \
		$(MAKE) --no-print-directory check-ktls; fi
