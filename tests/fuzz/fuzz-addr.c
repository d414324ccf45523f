/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
/* Addresses, networks, lists of networks and ban targets (doveadm
   arguments, settings, rows): whatever parses prints canonically and parses
   back to the same value. */
#include "fuzz-common.h"
#include "lockout-addr.h"
#include "lockout-target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[LOCKOUT_NET_STRLEN], abuf[LOCKOUT_ADDR_STRLEN];
	struct lockout_addr addr, addr2;
	struct lockout_net net, net2, *nets;
	struct lockout_target target;
	const char *error;
	size_t count, i;
	char *s = fuzz_strdup(data, size);

	if (s == NULL)
		return 0;
	if (lockout_addr_parse_n((const char *)data, size, &addr) == 0) {
		lockout_addr_to_str(&addr, abuf);
		CHECK(lockout_addr_parse(abuf, &addr2) == 0);
		CHECK(lockout_addr_equals(&addr, &addr2));
		lockout_addr_mask(&addr, data[0], &net);
		CHECK(lockout_net_contains(&net, &addr));
	}
	if (lockout_net_parse(s, &net, &error) == 0) {
		lockout_net_to_str(&net, buf);
		CHECK(lockout_net_parse(buf, &net2, &error) == 0);
		CHECK(memcmp(&net, &net2, sizeof(net)) == 0);
		CHECK(lockout_nets_overlap(&net, &net2));
	} else {
		CHECK(error != NULL);
	}
	if (lockout_netlist_parse(s, &nets, &count, &error) == 0) {
		for (i = 0; i < count; i++)
			CHECK(lockout_netlist_contains(nets, count,
						       &nets[i].addr));
		free(nets);
	} else {
		CHECK(nets == NULL && count == 0 && error != NULL);
	}
	if (lockout_target_parse(s, &target, &error) != 0)
		CHECK(error != NULL);
	if (lockout_target_parse_network(s, &target, &error) != 0)
		CHECK(error != NULL);
	free(s);
	return 0;
}
