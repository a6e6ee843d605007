/* placeholder */ typedef int bpi_placeholder_t;
