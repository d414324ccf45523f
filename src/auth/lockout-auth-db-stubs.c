/* TEMPORARY (branch pg-auth only, until pg-store is merged): the store
   functions of several nodes that the pg-store branch adds. */
#include "lockout-store.h"

void lockout_store_set_node(struct lockout_store *store, const char *node);
typedef int lockout_failure_since_callback_t(int64_t id,
					     const struct lockout_failure *row,
					     void *context);
int lockout_store_iter_failures_since(struct lockout_store *store,
				      int64_t after_id,
				      const char *exclude_node,
				      unsigned int max_rows,
				      lockout_failure_since_callback_t *callback,
				      void *context, const char **error_r);

void lockout_store_set_node(struct lockout_store *store, const char *node)
{
	(void)store;
	(void)node;
}

int lockout_store_iter_failures_since(struct lockout_store *store,
				      int64_t after_id,
				      const char *exclude_node,
				      unsigned int max_rows,
				      lockout_failure_since_callback_t *callback,
				      void *context, const char **error_r)
{
	(void)store; (void)after_id; (void)exclude_node; (void)max_rows;
	(void)callback; (void)context; (void)error_r;
	return 0;
}
