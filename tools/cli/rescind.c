/* placeholder: the CLI is being written in this session */
#include <stdio.h>
int main(void)
{
    fprintf(stderr, "rescind: not built yet\n");
    return 1;
}
