// glibc's malloc.h, for malloc_trim: the node gives freed heap back to the system after cutting
// off a client whose unread replies filled its output limit (ClientHandler).
#include <malloc.h>
