// Shell completion: scripts for bash, zsh and fish, generated from the commander program
// itself so they never drift from the real commands and flags. Job keys for --target come
// from the hidden `studio-jobs __complete-keys`, given the spec paths the command line names.

import { hasControlCharacters } from "../invisible.js";
import type { Command, Option } from "commander";

export type Shell = "bash" | "zsh" | "fish";

type ValueKind = "none" | "file" | "key" | "choices" | "other";

interface FlagModel {
  long: string;
  description: string;
  value: ValueKind;
  choices: readonly string[];
  /** May be given more than once (its default is a list). */
  repeatable: boolean;
}

interface CommandModel {
  name: string;
  description: string;
  flags: FlagModel[];
  /** What the positional arguments are: file paths, one of a few words, or nothing. */
  positional: "files" | "choices" | "none";
  choices: readonly string[];
}

function flagModel(option: Option): FlagModel | undefined {
  if (option.long === undefined || option.hidden) return undefined;
  const takesValue = option.required || option.optional;
  let value: ValueKind = "none";
  if (takesValue) {
    if (option.argChoices !== undefined) value = "choices";
    else if (option.long === "--target") value = "key";
    else if (/<file>/.test(option.flags)) value = "file";
    else value = "other";
  }
  return {
    long: option.long,
    description: option.description,
    value,
    choices: option.argChoices ?? [],
    repeatable: Array.isArray(option.defaultValue),
  };
}

function flagsOf(command: Command): FlagModel[] {
  return [...command.options.map(flagModel).filter((f): f is FlagModel => f !== undefined), helpFlag];
}

const helpFlag: FlagModel = { long: "--help", description: "display help for command", value: "none", choices: [], repeatable: false };

function describeProgram(program: Command): { globals: FlagModel[]; commands: CommandModel[] } {
  const commands = program.commands
    .filter((command) => !(command as Command & { _hidden?: boolean })._hidden)
    .map((command): CommandModel => {
      const argument = command.registeredArguments[0];
      const choices = argument?.argChoices ?? [];
      return {
        name: command.name(),
        description: command.description(),
        flags: flagsOf(command),
        positional: argument === undefined ? "none" : choices.length > 0 ? "choices" : "files",
        choices,
      };
    });
  // \`help [command]\`, which commander adds itself and does not list in program.commands.
  const help = (program as Command & { _getHelpCommand?: () => Command | null })._getHelpCommand?.();
  if (help !== undefined && help !== null) {
    const names = commands.map((command) => command.name);
    commands.push({ name: help.name(), description: help.description(), flags: [helpFlag], positional: "choices", choices: names });
  }
  return { globals: flagsOf(program), commands };
}

export function renderCompletion(shell: Shell, program: Command): string {
  const model = describeProgram(program);
  const name = program.name();
  switch (shell) {
    case "bash":
      return renderBash(name, model.globals, model.commands);
    case "zsh":
      return renderZsh(name, model.globals, model.commands);
    case "fish":
      return renderFish(name, model.globals, model.commands);
    default: {
      const never: never = shell;
      return never;
    }
  }
}

/** Every flag, global or of any command, that takes a value: a word after one is not a spec path. */
function longsWithValue(globals: FlagModel[], commands: CommandModel[]): string[] {
  const flags = [...globals, ...commands.flatMap((command) => command.flags)];
  return [...new Set(flags.filter((flag) => flag.value !== "none").map((flag) => flag.long))];
}

const functionName = (name: string) => `_${name.replace(/[^A-Za-z0-9]/g, "_")}`;

function renderBash(name: string, globals: FlagModel[], commands: CommandModel[]): string {
  const fn = functionName(name);
  const withValue = (flags: FlagModel[]) => flags.filter((f) => f.value !== "none").map((f) => f.long);
  const globalsWithValue = withValue(globals);
  const valueCases: string[] = [];
  for (const command of commands) {
    for (const flag of [...command.flags, ...globals]) {
      const pattern = `${command.name}:${flag.long}`;
      switch (flag.value) {
        case "choices":
          valueCases.push(`    ${pattern}) COMPREPLY=($(compgen -W "${flag.choices.join(" ")}" -- "$cur")); return ;;`);
          break;
        case "key":
          valueCases.push(`    ${pattern}) ${fn}_keys; return ;;`);
          break;
        case "file":
          valueCases.push(`    ${pattern}) ${fn}_files; return ;;`);
          break;
        case "other":
          valueCases.push(`    ${pattern}) return ;;`);
          break;
        case "none":
          break;
        default: {
          const never: never = flag.value;
          return never;
        }
      }
    }
  }
  // A global flag's value before any command: nothing to offer but what bash offers by default.
  for (const long of globalsWithValue) valueCases.push(`    :${long}) return ;;`);
  // --help is the command's own flag and a global one: offered once.
  const globalWords = globals
    .filter((f) => f.long !== helpFlag.long)
    .map((f) => f.long)
    .join(" ");
  const commandCases = commands.map((command) => {
    const words = command.flags.map((f) => f.long).join(" ");
    const positional = command.positional === "choices" ? ` positional="${command.choices.join(" ")}"` : "";
    return `    ${command.name}) flags="${words}";${positional} ;;`;
  });
  // Job keys come from a spec, maybe a stranger's pull request: matched and quoted as
  // literal words. \`compgen -W\` would expand $(...), backticks and \${...} in them.
  // They are read from the spec the command line names (its words after the command, but
  // flags and their values; a quoted word unquoted), as the command will; none: studio-jobs.yaml.
  // The words are passed as arguments, never evaluated.
  const anyWithValue = longsWithValue(globals, commands);
  // bash splits a word at = and at : (both in COMP_WORDBREAKS): --team=demo is three words,
  // --team, = and demo; --var=a=b five; http://h:8000 five. The words before the one completed
  // are joined again where bash split them (\`words\`), to find the command and the spec's paths:
  // the value of --url http://h:8000 was taken for the command, a=b of --var=a=b for paths.
  // A value after = is completed as one after a space; \`_keys\` leaves out the last word, the
  // --target (or --target=) whose value it completes.
  // File names, like keys, are read a line at a time: the words of $(compgen -f) unquoted
  // were split at spaces and expanded as globs (a file \`a*\` offered every file starting with a).
  // -o filenames has bash quote them on the line and end a directory with /.
  return `# ${name} completion for bash. Load it with: eval "$(${name} completion bash)"
${fn}_files() {
  local file
  COMPREPLY=()
  compopt -o filenames 2>/dev/null
  while IFS= read -r file; do
    COMPREPLY+=("$file")
  done < <(compgen -f -- "$cur")
}
${fn}_keys() {
  local key quoted word j
  local -a paths=()
  for ((j = i + 1; j < \${#words[@]} - 1; j++)); do
    word="\${words[j]}"
    case "$word" in
      ${anyWithValue.join("|")}) ((j++)) ;;
      -*) ;;
      \\'*\\'|\\"*\\") paths+=("\${word:1:\${#word}-2}") ;;
      *) paths+=("$word") ;;
    esac
  done
  COMPREPLY=()
  while IFS= read -r key; do
    [[ "$key" == "$cur"* ]] || continue
    printf -v quoted '%q' "$key"
    COMPREPLY+=("$quoted")
  done < <(${name} __complete-keys "\${paths[@]}" 2>/dev/null)
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ "$cur" == "=" ]]; then cur=""; elif [[ "$prev" == "=" ]]; then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  local -a words=()
  local command="" i n word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}" n=\${#words[@]}
    if ((n > 0)) && [[ -z "\${word//[=:]/}" || -z "\${COMP_WORDS[i-1]//[=:]/}" ]]; then words[n-1]+="$word"; else words+=("$word"); fi
  done
  for ((i = 0; i < \${#words[@]}; i++)); do
    case "\${words[i]}" in
      ${globalsWithValue.join("|")}) ((i++)) ;;
      -*) ;;
      *) command="\${words[i]}"; break ;;
    esac
  done
  case "$command:$prev" in
${valueCases.join("\n")}
  esac
  if [[ -z "$command" ]]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(" ")} ${globals.map((f) => f.long).join(" ")}" -- "$cur"))
    return
  fi
  local flags="" positional=""
  case "$command" in
${commandCases.join("\n")}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags ${globalWords}" -- "$cur"))
  elif [[ -n "$positional" ]]; then
    COMPREPLY=($(compgen -W "$positional" -- "$cur"))
  fi
}
complete -o bashdefault -o default -F ${fn} ${name}
`;
}

/** Text inside a zsh single-quoted `_arguments` spec: no quote, and no bracket or colon unescaped. */
function zshText(text: string): string {
  // Escaped for compsys first, then quoted for the shell: the other way round, the quote's own
  // backslash was doubled, and a description with an apostrophe broke into separate words.
  return text.replace(/([[\]:\\])/g, "\\$1").replace(/'/g, "'\\''");
}

function zshFlag(flag: FlagModel, keysFunction: string): string {
  // --flag= takes its value after = as well as in the next word.
  const head = `${flag.repeatable ? "*" : ""}${flag.long}${flag.value === "none" ? "" : "="}[${zshText(flag.description)}]`;
  switch (flag.value) {
    case "none":
      return `'${head}'`;
    case "choices":
      return `'${head}:${flag.long.slice(2)}:(${flag.choices.join(" ")})'`;
    case "key":
      return `'${head}:key:${keysFunction}'`;
    case "file":
      return `'${head}:file:_files'`;
    case "other":
      return `'${head}:${flag.long.slice(2)}: '`;
    default: {
      const never: never = flag.value;
      return never;
    }
  }
}

function renderZsh(name: string, globals: FlagModel[], commands: CommandModel[]): string {
  const fn = functionName(name);
  const anyWithValue = longsWithValue(globals, commands);
  const keys = `${fn}_keys`;
  const globalSpecs = globals.map((f) => zshFlag(f, keys)).join(" ");
  const cases = commands.map((command) => {
    const specs = command.flags.map((f) => zshFlag(f, keys));
    if (command.positional === "files") specs.push("'*:path:_files'");
    if (command.positional === "choices") specs.push(`'1:${command.name}:(${command.choices.join(" ")})'`);
    return `      (${command.name}) _arguments -s $globals ${specs.join(" ")} ;;`;
  });
  // Saved as _${name} in $fpath, the file is autoloaded as that function at the first Tab,
  // which must complete then too; sourced, it only registers ${fn}.
  // Job keys are offered with compadd -a, as literal words: _describe would read a key's
  // first \`:\` as the start of a description (\`a:b\` completed as \`a\`) and drop its backslashes.
  return `#compdef ${name}
# ${name} completion for zsh. Save it as _${name} in a directory of $fpath, or: source <(${name} completion zsh)
${keys}() {
  local -a keys expl paths
  local word skip=0
  for word in \${words[2,CURRENT-1]}; do
    if (( skip )); then skip=0; continue; fi
    case $word in
      (${anyWithValue.join("|")}) skip=1 ;;
      (-*) ;;
      (*) paths+=("\${(Q)word}") ;;
    esac
  done
  keys=(\${(f)"$(${name} __complete-keys "\${paths[@]}" 2>/dev/null)"})
  _wanted job-keys expl 'job key' compadd -a keys
}
${fn}() {
  local -a globals commands
  globals=(${globalSpecs})
  commands=(
${commands.map((c) => `    '${zshText(c.name)}:${zshText(c.description)}'`).join("\n")}
  )
  local curcontext="$curcontext" state line
  _arguments -C $globals '1: :->command' '*:: :->args'
  case $state in
    (command) _describe 'command' commands ;;
    (args)
      case $words[1] in
${cases.join("\n")}
      esac ;;
  esac
}
if [[ "$funcstack[1]" == "_${name}" ]]; then ${fn} "$@"; else compdef ${fn} ${name}; fi
`;
}

function fishText(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishFlag(name: string, condition: string, flag: FlagModel): string {
  const parts = [`complete -c ${name}`];
  if (condition !== "") parts.push(`-n ${fishText(condition)}`);
  parts.push(`-l ${flag.long.slice(2)}`);
  switch (flag.value) {
    case "none":
      break;
    case "choices":
      parts.push(`-x -a ${fishText(flag.choices.join(" "))}`);
      break;
    case "key":
      parts.push(`-x -a ${fishText(`(${name} __complete-keys (${fishWordsFunction(name)} paths) 2>/dev/null)`)}`);
      break;
    case "file":
      parts.push("-r -F");
      break;
    case "other":
      parts.push("-x");
      break;
    default: {
      const never: never = flag.value;
      return never;
    }
  }
  parts.push(`-d ${fishText(flag.description)}`);
  return parts.join(" ");
}

/**
 * The fish function that reads the command line as the command will: \`F paths\` prints its
 * spec paths, one a line; \`F none\` succeeds while no command is given; \`F plan\` when it is plan.
 */
const fishWordsFunction = (name: string) => `_${functionName(name)}_words`;

function renderFish(name: string, globals: FlagModel[], commands: CommandModel[]): string {
  // commandline -opc: the words before the cursor, unquoted. The first after the program's
  // name and global flags and their values is the command (__fish_use_subcommand took the
  // value of --team demo for one), and those after it but flags and their values are paths.
  const words = `function ${fishWordsFunction(name)} --argument-names want
    set -l skip 1
    set -l command ''
    for word in (commandline -opc)
        if test $skip = 1
            set skip 0
            continue
        end
        switch $word
            case ${longsWithValue(globals, commands).join(" ")}
                set skip 1
            case '-*'
            case '*'
                if test -z "$command"
                    set command $word
                else if test "$want" = paths
                    printf '%s\\n' $word
                end
        end
    end
    switch $want
        case paths
            return 0
        case none
            test -z "$command"
        case '*'
            test "$command" = "$want"
    end
end`;
  const fn = fishWordsFunction(name);
  const lines = [`# ${name} completion for fish. Save it as ~/.config/fish/completions/${name}.fish`, words, `complete -c ${name} -f`];
  for (const command of commands) {
    lines.push(`complete -c ${name} -n ${fishText(`${fn} none`)} -a ${command.name} -d ${fishText(command.description)}`);
  }
  for (const flag of globals) lines.push(fishFlag(name, "", flag));
  for (const command of commands) {
    const condition = `${fn} ${command.name}`;
    if (command.positional === "files") lines.push(`complete -c ${name} -n ${fishText(condition)} -F`);
    if (command.positional === "choices")
      lines.push(`complete -c ${name} -n ${fishText(condition)} -a ${fishText(command.choices.join(" "))}`);
    for (const flag of command.flags) lines.push(fishFlag(name, condition, flag));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The job keys of the spec at `paths`, sorted, for completing --target. Quiet by design:
 * a missing or broken spec completes nothing rather than printing errors into the prompt.
 */
export async function listSpecKeys(paths: readonly string[], cwd: string): Promise<string[]> {
  try {
    // Loaded here: printing the script, which shells run at every start, needs no spec reader.
    const { loadSpecFiles } = await import("../desired/load.js");
    const { files } = await loadSpecFiles(paths, cwd);
    const keys = new Set<string>();
    for (const file of files) {
      const jobs = (file.source.data as { jobs?: unknown } | null)?.jobs;
      if (jobs === null || typeof jobs !== "object" || Array.isArray(jobs)) continue;
      // One key a line: a key with a line break or another control character is not offered.
      for (const key of Object.keys(jobs)) if (!hasControlCharacters(key)) keys.add(key);
    }
    return [...keys].sort();
  } catch {
    return [];
  }
}
