/* store.c - backend-independent parts of the store interface.
 * The SQLite backend implements store.h directly today; when the PostgreSQL backend lands, this
 * file becomes the dispatcher (an ops table chosen by the dbPath scheme) and nothing above
 * store.h changes. */
#include "store/store.h"
#include "base/buf.h"
#include "base/rand.h"
#include <string.h>

static const char hex[] = "0123456789abcdef";

void rs_store_client_grant_id(const unsigned char key[RS_TOKEN_KEY_LEN],
                              char out[RS_GRANT_ID_LEN + 1])
{
    out[0] = RS_CLIENT_GRANT_MARK;
    rs_hex_encode(key, 8, out + 1);
    char r[17];
    rs_rand_hex(r, 8);
    memcpy(out + 17, r, RS_GRANT_ID_LEN - 17); /* 15 random digits: 60 bits */
    out[RS_GRANT_ID_LEN] = '\0';
}

/* lowercase digits only, as rs_store_client_grant_id writes them: one grant, one id */
bool rs_store_client_grant_prefix(const char *grant_id, unsigned char prefix[8])
{
    if (grant_id[0] != RS_CLIENT_GRANT_MARK || strlen(grant_id) != RS_GRANT_ID_LEN)
        return false;
    for (int i = 0; i < 8; i++) {
        const char *hi = strchr(hex, grant_id[1 + 2 * i]), *lo = strchr(hex, grant_id[2 + 2 * i]);
        if (!hi || !lo || !*hi || !*lo)
            return false;
        prefix[i] = (unsigned char)((hi - hex) << 4 | (lo - hex));
    }
    return true;
}
