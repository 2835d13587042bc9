// Temporary entry point while the CLI is being written (replaced by src/cli/app.h).
int main() { return 0; }
