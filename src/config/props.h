/* props.h - the property table: one row per property (name, type, default, description). */
#ifndef RS_PROPS_H
#define RS_PROPS_H
#include <stddef.h>
#include <stdbool.h>

enum rs_prop_type { RS_PROP_STRING, RS_PROP_INT, RS_PROP_BOOL, RS_PROP_STRING_LIST };

#define RS_PROP_RESTART 1 /* takes effect only at the next start (listener, database) */

struct rs_prop {
    const char *name;          /* Janssen spelling where Janssen has the property */
    enum rs_prop_type type;
    size_t offset;             /* into struct rs_config */
    const char *def;           /* default, as JSON text */
    long long min, max;        /* for ints */
    unsigned flags;
    const char *description;
};

extern const struct rs_prop rs_props[];
extern const size_t rs_props_count;
const struct rs_prop *rs_prop_find(const char *name);

#endif
