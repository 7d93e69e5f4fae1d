/* status_list.c - encoding of the Token Status List (draft-ietf-oauth-status-list): the bit
 * array is compressed with DEFLATE in the zlib format (RFC 1950) and base64url-encoded. */
#include "token/jwt.h"
#include "base/b64url.h"
#include <stdlib.h>
#include <zlib.h>

enum rs_err rs_status_list_encode(const unsigned char *bits, size_t len, char **lst_out)
{
    uLongf clen = compressBound((uLong)len);
    unsigned char *c = malloc(clen);
    *lst_out = NULL;
    if (!c)
        return RS_ERR_NOMEM;
    if (compress2(c, &clen, bits, (uLong)len, Z_BEST_COMPRESSION) != Z_OK) {
        free(c);
        return RS_ERR_NOMEM;
    }
    char *out = malloc(RS_B64URL_LEN((size_t)clen) + 1);
    if (out)
        rs_b64url_encode(c, (size_t)clen, out);
    free(c);
    *lst_out = out;
    return out ? RS_OK : RS_ERR_NOMEM;
}
