/* test_dataconn.c - PORT/EPRT/EPSV parsers and the bounce checks (dataconn.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dataaddr.h"
#include "datasetup.h"
#include "sysutil.h"

static struct sockaddr_storage
v4(const char *addr, unsigned int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, addr, &s->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *addr, unsigned int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, addr, &s->sin6_addr), 1);
	return ss;
}

static void
assert_addr(const struct sockaddr_storage *sa, const char *want, unsigned int port)
{
	char got[INET6_ADDRSTRLEN];

	sys_sockaddr_str(sa, got, sizeof(got));
	assert_string_equal(got, want);
	assert_int_equal(sys_sockaddr_port(sa), port);
}

static void
test_port_good(void **state)
{
	struct sockaddr_storage sa;

	(void)state;
	assert_int_equal(data_parse_port("127,0,0,1,4,1", &sa), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_addr(&sa, "127.0.0.1", 1025);
	assert_int_equal(data_parse_port("255,255,255,255,255,255", &sa), 0);
	assert_addr(&sa, "255.255.255.255", 65535);
	assert_int_equal(data_parse_port("010,000,0,9,0,1", &sa), 0);
	assert_addr(&sa, "10.0.0.9", 1);
}

static void
test_port_bad(void **state)
{
	static const char *const bad[] = {
		"", "1,2,3,4,5", "1,2,3,4,5,6,7", "256,0,0,1,4,1", "1,2,3,4,256,1",
		"1,2,3,4,0,0", "1,2,3,4,5,6 ", " 1,2,3,4,5,6", "1,2,3,4,5,", "1,,3,4,5,6",
		"-1,2,3,4,5,6", "1,2,3,4,5,6x", "0001,2,3,4,5,6", "a,b,c,d,e,f", "1.2.3.4.5.6",
		"99999999999999999999,2,3,4,5,6",
	};
	struct sockaddr_storage sa;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(data_parse_port(bad[i], &sa), -EINVAL);
}

static void
test_eprt_good(void **state)
{
	struct sockaddr_storage sa;

	(void)state;
	assert_int_equal(data_parse_eprt("|1|132.235.1.2|6275|", &sa), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_addr(&sa, "132.235.1.2", 6275);
	assert_int_equal(data_parse_eprt("|2|1080::8:800:200C:417A|5282|", &sa), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_addr(&sa, "1080::8:800:200c:417a", 5282);
	assert_int_equal(data_parse_eprt("!2!::1!65535!", &sa), 0);
	assert_addr(&sa, "::1", 65535);
}

static void
test_eprt_bad(void **state)
{
	static const char *const bad[] = {
		"", "|", "||||", "|1|127.0.0.1|0|", "|1|127.0.0.1|65536|", "|1|127.0.0.1|21",
		"|1|127.0.0.1|21||", "|1|::1|21|", "|2|127.0.0.1|21|", "|1||21|",
		"1|1|127.0.0.1|21|1", " |1|127.0.0.1|21| ", "|1|127.0.0.1|x|",
		"|01234|127.0.0.1|21|", "|2|fe80::1%eth0|21|", "|1|127.0.0.1|021a|",
	};
	struct sockaddr_storage sa;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(data_parse_eprt(bad[i], &sa), -EINVAL);
	assert_int_equal(data_parse_eprt("|3|127.0.0.1|21|", &sa), -EAFNOSUPPORT);
	assert_int_equal(data_parse_eprt("|0|x|21|", &sa), -EAFNOSUPPORT);
}

static void
test_epsv(void **state)
{
	(void)state;
	assert_int_equal(data_parse_epsv(""), AF_UNSPEC);
	assert_int_equal(data_parse_epsv("1"), AF_INET);
	assert_int_equal(data_parse_epsv("2"), AF_INET6);
	assert_int_equal(data_parse_epsv("ALL"), DATA_EPSV_ALL);
	assert_int_equal(data_parse_epsv("all"), DATA_EPSV_ALL);
	assert_int_equal(data_parse_epsv("3"), -EAFNOSUPPORT);
	assert_int_equal(data_parse_epsv("1 "), -EINVAL);
	assert_int_equal(data_parse_epsv("x"), -EINVAL);
	assert_int_equal(data_parse_epsv("ALLX"), -EINVAL);
}

static void
test_same_addr_and_unmap(void **state)
{
	struct sockaddr_storage a = v4("127.0.0.1", 1), m = v6("::ffff:127.0.0.1", 2);
	struct sockaddr_storage b = v4("127.0.0.2", 1), l6 = v6("::1", 1);

	(void)state;
	assert_true(data_same_addr(&a, &m));
	assert_true(data_same_addr(&m, &a));
	assert_false(data_same_addr(&a, &b));
	assert_false(data_same_addr(&a, &l6));
	data_unmap(&m);
	assert_int_equal(m.ss_family, AF_INET);
	assert_addr(&m, "127.0.0.1", 2);
	data_unmap(&l6);
	assert_int_equal(l6.ss_family, AF_INET6);
}

static void
test_check_target(void **state)
{
	struct sockaddr_storage peer = v4("192.0.2.7", 40000), mpeer = v6("::ffff:192.0.2.7", 1);
	struct sockaddr_storage ok = v4("192.0.2.7", 1024), low = v4("192.0.2.7", 1023);
	struct sockaddr_storage other = v4("192.0.2.8", 5000), six = v6("2001:db8::1", 5000);
	struct sockaddr_storage unix_sa = { .ss_family = AF_UNIX };

	(void)state;
	assert_int_equal(data_check_target(&ok, &peer, false), 0);
	assert_int_equal(data_check_target(&ok, &mpeer, false), 0);
	assert_int_equal(data_check_target(&low, &peer, false), -EPERM);
	assert_int_equal(data_check_target(&other, &peer, false), -EACCES);
	assert_int_equal(data_check_target(&six, &peer, false), -EACCES);
	assert_int_equal(data_check_target(&other, &peer, true), 0);
	assert_int_equal(data_check_target(&low, &peer, true), 0);
	assert_int_equal(data_check_target(&unix_sa, &peer, true), -EAFNOSUPPORT);
}

static void
test_default_host(void **state)
{
	struct sockaddr_storage peer = v6("::1", 40000), peer4 = v6("::ffff:10.1.2.3", 9);
	struct sockaddr_storage any6 = v6("::", 5000), any4 = v4("0.0.0.0", 6000);
	struct sockaddr_storage other = v4("10.9.9.9", 7000);

	(void)state;
	data_default_host(&any6, &peer);
	assert_addr(&any6, "::1", 5000);
	data_default_host(&any4, &peer4);
	assert_int_equal(any4.ss_family, AF_INET);
	assert_addr(&any4, "10.1.2.3", 6000);
	data_default_host(&other, &peer);
	assert_addr(&other, "10.9.9.9", 7000);
}

static void
test_port_range(void **state)
{
	struct port_ranges r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(data_parse_port_range("32768\t60999\n", &r), 0);
	assert_int_equal(r.lo, 32768);
	assert_int_equal(r.hi, 60999);
	assert_int_equal(data_parse_port_range(" 1024 1024", &r), 0);
	assert_int_equal(r.lo, 1024);
	assert_int_equal(r.hi, 1024);
	static const char *const bad[] = {
		"", "\n", "32768", "32768\n", "0 100", "200 100", "1 65536", "1 2 3",
		"1\t2\n\n", "-1 5", "1,5", "123456 2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(data_parse_port_range(bad[i], &r), -EINVAL);
}

static void
test_reserved_ports(void **state)
{
	struct port_ranges r;
	char many[512] = "";

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(data_parse_reserved_ports("\n", &r), 0);
	assert_int_equal(r.nreserved, 0);
	assert_false(data_port_reserved(&r, 40000));
	assert_int_equal(data_parse_reserved_ports("8080,40000-40010,50000\n", &r), 0);
	assert_int_equal(r.nreserved, 3);
	assert_true(data_port_reserved(&r, 8080));
	assert_true(data_port_reserved(&r, 40000));
	assert_true(data_port_reserved(&r, 40010));
	assert_false(data_port_reserved(&r, 40011));
	assert_false(data_port_reserved(&r, 8081));
	assert_true(data_port_reserved(&r, 50000));
	static const char *const bad[] = {
		"8080,", ",8080", "10-5", "1-", "a", "8080 9090", "70000", "1--2", "1,,2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(data_parse_reserved_ports(bad[i], &r), -EINVAL);
	for (int i = 0; i <= MAX_RESERVED_RANGES; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d",
			 i ? "," : "", 2000 + 2 * i);
	assert_int_equal(data_parse_reserved_ports(many, &r), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_good),
		cmocka_unit_test(test_port_bad),
		cmocka_unit_test(test_eprt_good),
		cmocka_unit_test(test_eprt_bad),
		cmocka_unit_test(test_epsv),
		cmocka_unit_test(test_same_addr_and_unmap),
		cmocka_unit_test(test_check_target),
		cmocka_unit_test(test_default_host),
		cmocka_unit_test(test_port_range),
		cmocka_unit_test(test_reserved_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
