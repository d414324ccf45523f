/* Copyright (c) 2026 dovecot-lockout authors. MIT license. */
#include "lockoutd-fw-private.h"
#include "lockout-error.h"

#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>

/* The libnftables backend: each batch goes through
   nft_run_cmd_from_buffer(), which sends it as one netlink transaction.
   No shell, no nft binary, no include files. */

static void fw_nft_free(void *context)
{
	nft_ctx_free(context);
}

/* First "Error: ..." line of nft's error output, bounded. */
static const char *fw_nft_error(struct nft_ctx *ctx)
{
	const char *text = nft_ctx_get_error_buffer(ctx), *line;
	size_t len;

	if (text == NULL || text[0] == '\0')
		return "unknown error";
	line = strstr(text, "Error: ");
	if (line == NULL)
		line = text;
	len = strcspn(line, "\n");
	return lockout_error_fmt("%.*s", (int)(len > 300 ? 300 : len), line);
}

static int fw_nft_run(struct lockoutd_fw *fw, const char *commands,
		      const char **error_r)
{
	struct nft_ctx *ctx = lockoutd_fw_backend_context(fw);
	char error[LOCKOUT_ERROR_MAX];

	if (nft_run_cmd_from_buffer(ctx, commands) != 0) {
		/* the message lives in the shared error buffer: copy it
		   before formatting the final one */
		snprintf(error, sizeof(error), "%s", fw_nft_error(ctx));
		*error_r = lockout_error_fmt("nftables: %s", error);
		return -1;
	}
	return 0;
}

int lockoutd_fw_create_nft(const uint16_t *ports, size_t count,
			   struct lockoutd_fw **fw_r, const char **error_r)
{
	struct nft_ctx *ctx;

	*fw_r = NULL;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (ctx == NULL) {
		*error_r = lockout_error_fmt("nftables: cannot create a "
					     "context");
		return -1;
	}
	if (nft_ctx_buffer_output(ctx) != 0 ||
	    nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		*error_r = lockout_error_fmt("nftables: cannot buffer output");
		return -1;
	}
	/* commands name only numbers and addresses: no DNS, no services */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_NUMERIC_ALL);
	return lockoutd_fw_create(ports, count, fw_nft_run, ctx, fw_nft_free,
				  fw_r, error_r);
}
