fn main() -> std::process::ExitCode {
    casebook::commands::cli::main()
}
