# mk/install.mk - make install / uninstall, and the documentation generated
# from include/options.h (make docs / docs-check).  Included by the Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc] [UNITDIR=...]
#                [NOPRIV_ACCOUNT=miniftpd]
#
# Binaries go to $(PREFIX)/sbin, manual pages to $(PREFIX)/share/man, units
# to the directory systemd's pkg-config file names (/lib/systemd/system
# without it), the sample configuration and the xinetd entry below
# $(SYSCONFDIR).  Files under $(SYSCONFDIR) are never overwritten: they are
# the administrator's.  Units and the xinetd entry name
# /usr/local/sbin/miniftpd and /etc/miniftpd.conf; install rewrites both
# paths to the ones in use.  Installing for this machine (DESTDIR empty) as
# root also creates the system account NOPRIV_ACCOUNT, the default
# nopriv_user, when it is missing (scripts/add-account.sh; empty: skip it);
# a package (DESTDIR set) creates it in its own maintainer script.
# uninstall leaves the account: files may still belong to it.

SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
NOPRIV_ACCOUNT	?= miniftpd
UNITDIR		?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)

INSTALL_BINS	:= $(notdir $(BINS))
INSTALL_UNITS	:= $(notdir $(wildcard units/*.socket units/*.service))
INSTALL_MANS	:= $(notdir $(wildcard man/*.[1-8]))
# sed script applied to units and the xinetd entry
INSTALL_PATHS	:= -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
		   -e 's|/etc/miniftpd.conf|$(SYSCONFDIR)/miniftpd.conf|g'

GENOPTS		:= $(BUILD)/genopts
GENERATED_DOCS	:= etc/miniftpd.conf:conf man/miniftpd.conf.5:man

.PHONY: install uninstall docs docs-check

install: $(BINS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/xinetd.d
	for b in $(INSTALL_BINS); do install -m 755 $(BUILD)/$$b $(DESTDIR)$(SBINDIR)/$$b; done
	for u in $(INSTALL_UNITS); do \
		sed $(INSTALL_PATHS) units/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		mv -f $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u; done
	for m in $(INSTALL_MANS); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s && \
		install -m 644 man/$$m $(DESTDIR)$(MANDIR)/man$$s/$$m; done
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/miniftpd.conf ]; then \
		echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/miniftpd.conf"; \
	else install -m 644 etc/miniftpd.conf $(DESTDIR)$(SYSCONFDIR)/miniftpd.conf; fi
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd ]; then \
		echo "keeping the existing $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd"; \
	else sed $(INSTALL_PATHS) etc/xinetd.d/miniftpd > $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd && \
		chmod 644 $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd; fi
	@if [ -n "$(DESTDIR)" ] || [ -z "$(NOPRIV_ACCOUNT)" ]; then :; \
	elif [ "$$(id -u)" -eq 0 ]; then sh scripts/add-account.sh "$(NOPRIV_ACCOUNT)"; \
	else echo "not root: create the system account $(NOPRIV_ACCOUNT) (nopriv_user) with" \
		"sh scripts/add-account.sh $(NOPRIV_ACCOUNT) as root"; fi
	@if [ -z "$(DESTDIR)" ]; then \
		echo "installed; now: systemctl daemon-reload && systemctl enable --now limitd.socket miniftpd.socket"; fi

# Configuration files go only when they are still as installed.
uninstall:
	for b in $(INSTALL_BINS); do rm -f $(DESTDIR)$(SBINDIR)/$$b; done
	for u in $(INSTALL_UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	for m in $(INSTALL_MANS); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	@if cmp -s etc/miniftpd.conf $(DESTDIR)$(SYSCONFDIR)/miniftpd.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/miniftpd.conf; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/miniftpd.conf ]; then \
		echo "keeping the changed $(DESTDIR)$(SYSCONFDIR)/miniftpd.conf"; fi
	@if sed $(INSTALL_PATHS) etc/xinetd.d/miniftpd | \
	    cmp -s - $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd ]; then \
		echo "keeping the changed $(DESTDIR)$(SYSCONFDIR)/xinetd.d/miniftpd"; fi

$(GENOPTS): tools/genopts.c include/options.h | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ tools/genopts.c $(LDFLAGS_ALL)

# Rewrite the generated option lists after a change to include/options.h.
docs: $(GENOPTS)
	@for d in $(GENERATED_DOCS); do f=$${d%%:*}; \
		$(GENOPTS) $${d##*:} < $$f > $$f.tmp && mv $$f.tmp $$f || exit 1; \
		echo "generated the option list of $$f"; done

# Fail when a committed file differs from what the option table generates.
docs-check: $(GENOPTS)
	@for d in $(GENERATED_DOCS); do f=$${d%%:*}; \
		$(GENOPTS) $${d##*:} < $$f | cmp -s - $$f || { \
		echo "$$f does not match include/options.h: run make docs" >&2; exit 1; }; done
