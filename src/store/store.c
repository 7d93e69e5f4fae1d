/* store.c - backend-independent parts of the store interface.
 * The SQLite backend implements store.h directly today; when the PostgreSQL backend lands, this
 * file becomes the dispatcher (an ops table chosen by the dbPath scheme) and nothing above
 * store.h changes. */
#include "store/store.h"
