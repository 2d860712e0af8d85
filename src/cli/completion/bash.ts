// The bash completion script: a table of command paths → words, and one small function that finds the
// command path among the words typed so far. Also loaded by zsh through bashcompinit if a user prefers.

import type { CompletionCommand } from "./model.js";

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function bashScript(model: CompletionCommand[]): string {
  const words = model.map((c) => {
    const opts = c.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x));
    return `  [${quote(["pystore", ...c.path].join(" "))}]=${quote([...c.subcommands.map((s) => s.name), ...opts].join(" "))}`;
  });
  const valued = new Set<string>();
  const values: string[] = [];
  for (const c of model) {
    for (const o of c.options) {
      if (!o.takesValue) continue;
      for (const flag of [o.long, o.short]) if (flag) valued.add(flag);
      if (o.long && o.values && !values.some((v) => v.startsWith(`  [${quote(o.long!)}]`)))
        values.push(`  [${quote(o.long)}]=${quote(o.values.join(" "))}`);
    }
  }
  return `# bash completion for pystore (pystore completion bash)
# Install: pystore completion bash > ~/.local/share/bash-completion/completions/pystore
declare -gA _pystore_words=(
${words.join("\n")}
)
declare -gA _pystore_values=(
${values.join("\n")}
)
_pystore_takes_value=' ${[...valued].sort().join(" ")} '

_pystore() {
  local cur prev path=pystore word candidate i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ "$word" == -* ]]; then
      # An option's value is the next word: skip it.
      [[ "$_pystore_takes_value" == *" $word "* ]] && ((i++))
      continue
    fi
    candidate="$path $word"
    [[ -n "\${_pystore_words[$candidate]+set}" ]] && path="$candidate"
  done
  if [[ "$_pystore_takes_value" == *" $prev "* ]]; then
    if [[ -n "\${_pystore_values[$prev]+set}" ]]; then
      mapfile -t COMPREPLY < <(compgen -W "\${_pystore_values[$prev]}" -- "$cur")
    fi
    return 0
  fi
  mapfile -t COMPREPLY < <(compgen -W "\${_pystore_words[$path]}" -- "$cur")
}
complete -o default -o bashdefault -F _pystore pystore
`;
}
