/*
 * limitproto.h - the wire format between sessions and limitd.
 *
 * Transport: a SOCK_SEQPACKET UNIX socket, so one send is one message
 * and a message is never split or merged.  Every message starts with
 * the 8-byte header both private protocols share (frame.h), big-endian:
 *
 *     u32 length   whole message, header included (== bytes received)
 *     u16 type     requests even, answers odd
 *     u16 version  LIMIT_PROTO_VERSION of the sender
 *
 * followed by a body read with buf.h's checked getters and closed with
 * buf_end() (no trailing bytes).  The header and the FAIL message are
 * frozen across versions, so that an old miniftpd talking to a new
 * limitd (or the reverse) after an upgrade gets a readable refusal
 * instead of garbage.
 *
 * Conversation (each request gets exactly one answer, except STATUS):
 *   REQ_ADMIT  -> ANS_VERDICT            once per connection
 *   REQ_LOGIN  -> ANS_VERDICT            after an admitted ADMIT
 *   REQ_LOGIN_FAIL -> ANS_VERDICT        after an admitted ADMIT, per failed
 *                                        login (version 2)
 *   REQ_STATUS -> ANS_STATUS_HEAD, then ANS_STATUS_ADDR / _USER /
 *                 _SESSION records, then ANS_STATUS_END
 *   anything malformed or unpermitted -> ANS_FAIL, then limitd hangs up
 *
 * The peer's pid and uid are never in a payload: limitd takes them from
 * SO_PEERCRED.  Pure module (encode/decode only): returns -errno, never
 * logs.  Used by limitd and by the session side (limitclient.c).
 */
#ifndef MINIFTPD_LIMITPROTO_H
#define MINIFTPD_LIMITPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "defs.h"
#include "frame.h"

/*
 * 1: ADMIT, LOGIN, STATUS.  2: LOGIN_FAIL and the BLOCKED verdict.
 * 3: the status head carries max_per_ip_prefix6; a REREGISTER is
 * counted within the limits and may be refused.
 */
#define LIMIT_PROTO_VERSION	3
#define LIMIT_HDR_SIZE		FRAME_HDR_SIZE
/* Largest message; the longest is a status record with a user name. */
#define LIMIT_MAX_MSG		512
/* Longest reason text in a FAIL message. */
#define LIMIT_MAX_REASON	200

enum limit_msg_type {
	LIMIT_ANS_FAIL		= 1,	/* frozen: u32 code, str reason */
	LIMIT_REQ_ADMIT		= 2,	/* u8 flags, u8 family, bytes address */
	LIMIT_ANS_VERDICT	= 3,	/* u32 verdict */
	LIMIT_REQ_LOGIN		= 4,	/* u8 flags, str user */
	LIMIT_REQ_STATUS	= 6,	/* empty */
	LIMIT_REQ_LOGIN_FAIL	= 8,	/* empty: the session's client failed a login */
	LIMIT_ANS_STATUS_HEAD	= 7,	/* see struct limit_status_head */
	LIMIT_ANS_STATUS_ADDR	= 9,	/* address, u32 count */
	LIMIT_ANS_STATUS_USER	= 11,	/* str user, u32 count */
	LIMIT_ANS_STATUS_SESSION = 13,	/* see struct limit_status_session */
	LIMIT_ANS_STATUS_END	= 15,	/* empty */
};

/* REQ_ADMIT / REQ_LOGIN flags. */
enum {
	/*
	 * The session is already live (limitd restarted and the session
	 * reconnected).  Logged, and checked like any admission or login:
	 * a re-registration above a limit is refused, and the session ends.
	 */
	LIMIT_F_REREGISTER = 0x01,
};
#define LIMIT_F_ALL	LIMIT_F_REREGISTER

/*
 * LIMIT_VERDICTS - every verdict on an admission or a login, one row each;
 * a new verdict is a new row here and nothing else.  Columns:
 *   NAME    the constant is LIMIT_V_NAME
 *   CODE    its value: 0, 1, 2... each once (the compiler refuses a repeat);
 *           for a WIRE verdict the ANS_VERDICT code, never renumbered
 *   WIRE    limitd sends it; false: miniftpd decides it alone (never sent)
 *   LOG     how limitd's and the session's log lines name it
 *   REASON  the reason logged for a refused connection or login
 *           (the FTP_REASON journal field)
 *   REPLY   the text after "421 " that a refused connection gets before
 *           the session closes; NULL for ADMIT
 * tests/unit/test_limitproto.c checks the table is complete.
 */
#define LIMIT_VERDICTS(X) \
	X(ADMIT, 0, true, "admitted", NULL, NULL) \
	X(TOTAL, 1, true, "total limit (max_clients)", "max_clients reached", \
	  "There are too many connected users, please try later.") \
	X(IP, 2, true, "per-ip limit (max_per_ip)", "max_per_ip reached", \
	  "There are too many connections from your internet address.") \
	X(USER, 3, true, "per-user limit (max_per_user)", "max_per_user reached", \
	  "There are too many connected users, please try later.") \
	X(BLOCKED, 4, true, "failed logins from the address (max_login_fails_per_ip)", \
	  "max_login_fails_per_ip reached", \
	  "Too many failed logins from your internet address, please try later.") \
	X(DOWN, 5, false, "limitd unreachable (limitd_fail=closed)", \
	  "limitd unreachable and limitd_fail=closed", \
	  "Service not available, please try later.")

#define LIMIT_V_ENUM_(name, code, wire, log, reason, reply) LIMIT_V_##name = code,
#define LIMIT_V_ONE_(name, code, wire, log, reason, reply) + 1
enum limit_verdict {
	LIMIT_VERDICTS(LIMIT_V_ENUM_)
};
/* How many verdicts there are; their codes are 0 .. LIMIT_V_COUNT - 1. */
enum { LIMIT_V_COUNT = 0 LIMIT_VERDICTS(LIMIT_V_ONE_) };
#undef LIMIT_V_ENUM_
#undef LIMIT_V_ONE_

/* One row of LIMIT_VERDICTS. */
struct limit_verdict_row {
	bool wire;
	const char *log;
	const char *reason;
	const char *reply;
};

/* ANS_FAIL codes (wire values: never renumber). */
enum limit_fail_code {
	LIMIT_FAIL_VERSION	= 1,	/* header version is not ours */
	LIMIT_FAIL_MALFORMED	= 2,	/* bad length, type or field */
	LIMIT_FAIL_PERM		= 3,	/* peer uid may not ask this */
	LIMIT_FAIL_STATE	= 4,	/* request out of order */
	LIMIT_FAIL_RESOURCE	= 5,	/* limitd is out of memory / table space */
};

/* Address families on the wire. */
#define LIMIT_AF_INET	4
#define LIMIT_AF_INET6	6

/*
 * A client address as counted: IPv4-mapped IPv6 is stored as IPv4; in
 * limitd's tables an IPv6 address is masked to its max_per_ip_prefix6
 * leading bits (see limit_addr_mask).
 */
struct limit_addr {
	uint8_t family;		/* LIMIT_AF_INET or LIMIT_AF_INET6 */
	uint8_t bytes[16];	/* 4 or 16 used; the rest zero */
};

/* Longest address text, "ffff:...:255.255.255.255" and NUL. */
#define LIMIT_ADDR_STR	46
/* Longest key text: an address, "/128" and NUL. */
#define LIMIT_KEY_STR	(LIMIT_ADDR_STR + 4)

/* IPv6 prefix lengths: max_per_ip_prefix6's range. */
#define LIMIT_PREFIX6_MIN	1
#define LIMIT_PREFIX6_MAX	128

struct limit_status_head {
	uint32_t sessions, addresses, users;
	uint32_t max_clients, max_per_ip, max_per_user;	/* 0: no limit */
	uint32_t prefix6;	/* max_per_ip_prefix6 of the tables, 1..128 */
	uint32_t pid;		/* limitd's */
	uint64_t started;	/* limitd's start, seconds since the epoch */
};

struct limit_status_session {
	uint32_t pid, uid;	/* from SO_PEERCRED */
	struct limit_addr addr;
	uint64_t since;		/* seconds since the epoch */
	char user[MAX_USER_NAME + 1];	/* empty before login */
};

/* A decoded message: TYPE selects the member of U. */
struct limit_msg {
	uint16_t type;
	uint16_t version;
	union {
		struct {
			uint8_t flags;
			struct limit_addr addr;
		} admit;
		struct {
			uint8_t flags;
			char user[MAX_USER_NAME + 1];
		} login;
		uint32_t verdict;
		struct {
			uint32_t code;
			char reason[LIMIT_MAX_REASON + 1];
		} fail;
		struct limit_status_head head;
		struct {
			struct limit_addr addr;
			uint32_t count;
		} addr;
		struct {
			char user[MAX_USER_NAME + 1];
			uint32_t count;
		} user;
		struct limit_status_session session;
	} u;
};

/*
 * limit_encode - serialise M (M->version is ignored: the header always
 * carries LIMIT_PROTO_VERSION) into OUT, header included.
 * RETURNS 0, -EINVAL (unknown type, bad family, bad user name, flags or
 * verdict out of range) or -E2BIG.  Both sides.
 */
int limit_encode(const struct limit_msg *m, struct buf *out);

/*
 * limit_decode - parse the LEN bytes at DATA (one received packet) into M.
 * Checks the header length against LEN, the version, the type, every
 * field, and that nothing follows the body.
 * RETURNS 0; -EPROTONOSUPPORT when the version is not LIMIT_PROTO_VERSION
 *   (M->type and M->version are then set, and a FAIL message of any
 *   version is still decoded and returned as 0, since its layout is
 *   frozen); -EBADMSG when malformed; -ENOMSG for an unknown type.
 *   Both sides.
 */
int limit_decode(const void *data, size_t len, struct limit_msg *m);

/*
 * limit_user_valid - USER is acceptable on the wire: 1..MAX_USER_NAME
 * bytes, no control characters (so limitd --status can print it).
 */
bool limit_user_valid(const char *user);

/*
 * limit_addr_from_sockaddr - the counted form of SA (AF_INET or AF_INET6;
 * IPv4-mapped IPv6 becomes IPv4).  RETURNS 0 or -EAFNOSUPPORT.
 */
int limit_addr_from_sockaddr(const struct sockaddr_storage *sa,
			     struct limit_addr *out);

/*
 * limit_addr_normalize - turn an IPv4-mapped IPv6 address into IPv4 and
 * zero the unused bytes, so that equal addresses compare equal.
 */
void limit_addr_normalize(struct limit_addr *a);

/*
 * limit_addr_mask - the key limitd counts A under: normalised (see
 * limit_addr_normalize), then, for IPv6, every bit after the first
 * PREFIX6 (1..128; larger counts as 128) cleared.  IPv4 is left whole.
 */
void limit_addr_mask(struct limit_addr *a, unsigned int prefix6);

/*
 * limit_addr_str - "192.0.2.7" / "2001:db8::1" into OUT.
 */
void limit_addr_str(const struct limit_addr *a, char out[LIMIT_ADDR_STR]);

/*
 * limit_key_str - a key of limitd's tables as text: an IPv6 key with
 * PREFIX6 below 128 as "2001:db8:1:2::/64", anything else as
 * limit_addr_str writes it.
 */
void limit_key_str(const struct limit_addr *a, unsigned int prefix6,
		   char out[LIMIT_KEY_STR]);

/*
 * limit_verdict_row - VERDICT's row of LIMIT_VERDICTS, or NULL when there
 * is no such verdict.  Both sides.
 */
const struct limit_verdict_row *limit_verdict_row(uint32_t verdict);

/*
 * limit_verdict_on_wire - whether VERDICT may travel in ANS_VERDICT (a
 * WIRE row); the codec refuses any other value.
 */
bool limit_verdict_on_wire(uint32_t verdict);

/*
 * limit_verdict_name / limit_fail_name - short English text for logs
 * ("per-ip limit", "malformed message"); never NULL.  limit_verdict_name
 * is the LOG column of LIMIT_VERDICTS.
 */
const char *limit_verdict_name(uint32_t verdict);
const char *limit_fail_name(uint32_t code);

#endif
