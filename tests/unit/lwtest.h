/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Copyright (c) 2026 The leakwatch authors */
/*
 * A minimal test harness for unit tests: assertions return bool so a test
 * can bail out to its cleanup (cf. selftests test_progs.h), failures are
 * counted, and lw_test_main() prints "N passed, N failed".
 */
#ifndef LW_LWTEST_H
#define LW_LWTEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int lwt_failed, lwt_checks;
static const char *lwt_current;

#define lwt_report(ok, fmt, ...)                                              \
	({                                                                    \
		bool __ok = (ok);                                             \
		lwt_checks++;                                                 \
		if (!__ok) {                                                  \
			lwt_failed++;                                         \
			fprintf(stderr, "%s:%d: %s: " fmt "\n", __FILE__,     \
				__LINE__, lwt_current, ##__VA_ARGS__);        \
		}                                                             \
		__ok;                                                         \
	})

#define ASSERT_TRUE(c, name) lwt_report((c), "%s: expected true", name)
#define ASSERT_FALSE(c, name) lwt_report(!(c), "%s: expected false", name)
#define ASSERT_OK(e, name)                                                    \
	({                                                                    \
		long long __e = (e);                                          \
		lwt_report(__e == 0, "%s: unexpected error %lld", name, __e); \
	})
#define ASSERT_EQ(a, b, name)                                                 \
	({                                                                    \
		long long __a = (long long)(a), __b = (long long)(b);         \
		lwt_report(__a == __b, "%s: %lld != %lld", name, __a, __b);   \
	})
#define ASSERT_U64_EQ(a, b, name)                                             \
	({                                                                    \
		uint64_t __a = (a), __b = (b);                                \
		lwt_report(__a == __b, "%s: %" PRIu64 " != %" PRIu64, name,   \
			   __a, __b);                                         \
	})
#define ASSERT_STREQ(a, b, name)                                              \
	({                                                                    \
		const char *__a = (a), *__b = (b);                            \
		lwt_report(__a && __b && !strcmp(__a, __b),                   \
			   "%s: \"%s\" != \"%s\"", name, __a ? __a : "(null)", \
			   __b ? __b : "(null)");                             \
	})
#define ASSERT_NEAR(a, b, eps, name)                                          \
	({                                                                    \
		double __a = (a), __b = (b);                                  \
		lwt_report(__a - __b <= (eps) && __b - __a <= (eps),          \
			   "%s: %g !~ %g", name, __a, __b);                   \
	})
#define ASSERT_NOT_NULL(p, name) lwt_report((p) != NULL, "%s: NULL", name)

struct lwt_case {
	const char *name;
	void (*fn)(void);
};

#define LWT_CASE(f) { #f, f }

static inline int lw_test_main(const struct lwt_case *cases, size_t n)
{
	size_t i, failed_cases = 0;

	for (i = 0; i < n; i++) {
		int before = lwt_failed;

		lwt_current = cases[i].name;
		cases[i].fn();
		if (lwt_failed != before) {
			failed_cases++;
			fprintf(stderr, "FAIL %s\n", cases[i].name);
		} else {
			fprintf(stderr, "ok   %s\n", cases[i].name);
		}
	}
	printf("%zu passed, %zu failed\n", n - failed_cases, failed_cases);
	return failed_cases ? 1 : 0;
}

#endif /* LW_LWTEST_H */
