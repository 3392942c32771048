/* ftptime.c - RFC 3659 time-val parse and format; see ftptime.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ftptime.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, unsigned int m, unsigned int d)
{
	long long era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static unsigned int
days_in_month(unsigned int y, unsigned int m)
{
	static const unsigned int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
ftptime_parse(const char *text, long long *out)
{
	static const int width[6] = { 4, 2, 2, 2, 2, 2 };
	static const unsigned int lo[6] = { 1970, 1, 1, 0, 0, 0 };
	static const unsigned int hi[6] = { 9999, 12, 31, 23, 59, 59 };
	unsigned int f[6];

	for (int i = 0; i < 6; i++) {
		f[i] = 0;
		for (int k = 0; k < width[i]; k++, text++) {
			if (*text < '0' || *text > '9')
				return -EINVAL;
			f[i] = f[i] * 10 + (unsigned int)(*text - '0');
		}
		if (f[i] < lo[i] || f[i] > hi[i])
			return -EINVAL;
	}
	if (f[2] > days_in_month(f[0], f[1]))
		return -EINVAL;
	if (*text == '.')	/* fractions of a second: accepted, ignored */
		for (text++; *text >= '0' && *text <= '9'; text++)
			;
	if (*text != '\0')
		return -EINVAL;
	*out = days_from_civil(f[0], f[1], f[2]) * 86400 +
	       (long long)f[3] * 3600 + f[4] * 60 + f[5];
	return 0;
}

const char *
ftptime_arg(const char *arg, long long *out)
{
	char stamp[FTPTIME_STAMP_MAX];
	size_t n = strcspn(arg, " ");

	if (n >= sizeof(stamp) || arg[n] != ' ' || arg[n + 1] == '\0')
		return NULL;
	memcpy(stamp, arg, n);
	stamp[n] = '\0';
	return ftptime_parse(stamp, out) < 0 ? NULL : arg + n + 1;
}

int
ftptime_stamp(time_t t, bool local, char out[FTPTIME_STAMP_MAX])
{
	struct tm tm;

	if ((local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -EOVERFLOW;
	snprintf(out, FTPTIME_STAMP_MAX, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}
