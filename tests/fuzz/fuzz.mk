# tests/fuzz/fuzz.mk - libFuzzer builds of every fuzz target (make fuzz).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="dispatch path"] [FUZZ_JOBS=1]
#
# Builds every tests/fuzz/fuzz_NAME.c (fuzz_main.c, the replay driver of
# `make check`, excepted) with clang -fsanitize=fuzzer,address,undefined
# against the project's modules built the same way under build/fuzz/, then
# runs each target for FUZZ_SECONDS seconds on a working copy of its corpus
# (build/fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME).  A crash,
# leak or sanitizer report fails the run; the input that caused it is left
# in build/fuzz/crashes/ to be added to the corpus and a unit test.
# New inputs that found coverage stay in build/fuzz/corpus; `make fuzz-merge`
# minimises them into tests/fuzz/corpus/NAME (review before committing).

FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_BUILD	:= build/fuzz
LIBFUZZER_ALL	:= $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS	?= $(LIBFUZZER_ALL)
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS	:= $(filter-out -Wmissing-prototypes,$(WARN)) -g -O1 -fno-omit-frame-pointer \
		   $(FUZZ_SAN) -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS)
LIBFUZZER_MODS	:= $(filter-out main $(LIMITD_DAEMON),$(COMMON) $(FTPD) $(LIMITD))
LIBFUZZER_OBJ	:= $(LIBFUZZER_MODS:%=$(FUZZ_BUILD)/obj/%.o)
LIBFUZZER_BINS	:= $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-merge
.SECONDARY: $(LIBFUZZER_OBJ)

$(FUZZ_BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIBFUZZER_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBFUZZER_OBJ) $(PKG_LIBS) $(SSL_LIBS) $(PAM_LIBS)

fuzz-build: $(LIBFUZZER_BINS)

fuzz: fuzz-build
	@sh tests/fuzz/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p tests/fuzz/corpus/$$t; \
		$(FUZZ_BUILD)/fuzz_$$t -merge=1 -close_fd_mask=3 tests/fuzz/corpus/$$t \
			$(FUZZ_BUILD)/corpus/$$t 2>&1 | tail -n 1; \
	done

-include $(wildcard $(FUZZ_BUILD)/obj/*.d)
