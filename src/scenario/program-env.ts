/**
 * Environment variables that change which program a command runs, what it loads, or what a shell or an
 * interpreter executes before it. Set by a step (`with.env` of a command runner), they make the step run
 * something other than what its `run` says, which a reviewer of the scenario would not see. A step may set
 * one only when the scenario lists it in `allowEnv`, and then still gets a warning.
 *
 * The list is what the dynamic loaders, the common interpreters, the shells and git read at start-up to
 * load code or run commands; variables that only change output (LANG, TZ, LD_DEBUG) are not in it.
 */

interface ProgramEnv {
  /** The name, or with `prefix` every name that starts with it. */
  name: string;
  prefix?: true;
  /** What it does, completing "NAME …". */
  does: string;
}

export const programEnv: readonly ProgramEnv[] = [
  { name: 'PATH', does: 'chooses which program a command name runs' },
  // Dynamic loaders
  { name: 'LD_PRELOAD', does: 'loads a library into every program the step starts' },
  { name: 'LD_LIBRARY_PATH', does: 'chooses the libraries programs load' },
  { name: 'LD_AUDIT', does: 'loads an auditing library into every program the step starts' },
  { name: 'DYLD_', prefix: true, does: 'chooses or inserts the libraries programs load (macOS)' },
  { name: 'GCONV_PATH', does: 'makes glibc load character-conversion modules from a folder' },
  { name: 'OPENSSL_CONF', does: 'makes OpenSSL load the engines and providers a file names' },
  // Interpreters
  { name: 'NODE_OPTIONS', does: 'adds options such as --require to every Node.js program' },
  { name: 'NODE_PATH', does: 'chooses where Node.js finds modules' },
  { name: 'PYTHONPATH', does: 'chooses where Python finds modules' },
  { name: 'PYTHONHOME', does: 'replaces the Python standard library' },
  { name: 'PYTHONSTARTUP', does: 'runs a file when Python starts interactively' },
  { name: 'PERL5LIB', does: 'chooses where Perl finds modules' },
  { name: 'PERLLIB', does: 'chooses where Perl finds modules' },
  { name: 'PERL5OPT', does: 'adds options such as -M to every Perl program' },
  { name: 'RUBYLIB', does: 'chooses where Ruby finds libraries' },
  { name: 'RUBYOPT', does: 'adds options such as -r to every Ruby program' },
  { name: 'JAVA_TOOL_OPTIONS', does: 'adds options such as -javaagent to every JVM' },
  { name: '_JAVA_OPTIONS', does: 'adds options such as -javaagent to every JVM' },
  { name: 'JDK_JAVA_OPTIONS', does: 'adds options such as -javaagent to every java launcher' },
  // Shells
  { name: 'BASH_ENV', does: 'runs a file before every bash script' },
  { name: 'ENV', does: 'runs a file when sh or an interactive shell starts' },
  { name: 'BASH_FUNC_', prefix: true, does: 'defines bash functions, which run instead of commands of the same name' },
  { name: 'SHELLOPTS', does: 'turns on bash options in every bash the step starts' },
  { name: 'BASHOPTS', does: 'turns on bash options in every bash the step starts' },
  { name: 'PS4', does: 'is expanded, commands included, by a shell tracing with -x' },
  { name: 'PROMPT_COMMAND', does: 'runs a command before each bash prompt' },
  { name: 'IFS', does: 'changes how shells split words' },
  // git
  { name: 'GIT_SSH_COMMAND', does: 'replaces the ssh command git runs' },
  { name: 'GIT_SSH', does: 'replaces the ssh program git runs' },
  { name: 'GIT_EXEC_PATH', does: 'chooses where git finds its sub-commands' },
  { name: 'GIT_CONFIG', prefix: true, does: 'sets git configuration, core.sshCommand and aliases included' },
];

/** The entry that covers `name` (names are case-sensitive, as on Linux), or undefined. */
export function findProgramEnv(name: string): ProgramEnv | undefined {
  return programEnv.find((entry) => (entry.prefix ? name.startsWith(entry.name) : name === entry.name));
}

/** The names a hint can suggest: the exact ones of the list. */
export const programEnvNames: readonly string[] = programEnv.filter((entry) => !entry.prefix).map((entry) => entry.name);
