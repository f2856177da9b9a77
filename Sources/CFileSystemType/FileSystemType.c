#include "CFileSystemType.h"
#include <errno.h>

#ifdef __linux__
#include <sys/vfs.h>

long field_file_system_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}
#else
long field_file_system_type(const char *path) {
    (void)path;
    errno = ENOSYS;
    return -1;
}
#endif
