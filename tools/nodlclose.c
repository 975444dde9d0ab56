/* nodlclose.c: LD_PRELOAD shim for make sanitize. Open MPI and PMIx unload their plug-ins at
 * MPI_Finalize; LeakSanitizer then cannot say which library an allocation came from, and cannot
 * suppress the libraries' own leaks by name (tools/lsan.supp). Keeping them loaded fixes that. */
int dlclose(void *handle)
{
    (void)handle;
    return 0;
}
