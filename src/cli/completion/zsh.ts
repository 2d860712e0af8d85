// The zsh completion script: the same command-path table as bash's, with descriptions shown by _describe.
// Works both from $fpath (as the `_pystore` function) and sourced from .zshrc.

import type { CompletionCommand } from "./model.js";

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
// _describe splits "word:description" at the first unescaped colon.
const describe = (word: string, text: string) => `${word.replace(/:/g, "\\:")}:${text.replace(/\n/g, " ")}`;

export function zshScript(model: CompletionCommand[]): string {
  const words: string[] = [];
  const items: string[] = [];
  const values: string[] = [];
  const valued = new Set<string>();
  for (const c of model) {
    const entries = [
      ...c.subcommands.map((s) => describe(s.name, s.description)),
      ...c.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x).map((flag) => describe(flag, o.description))),
    ];
    words.push(`  ${quote(["pystore", ...c.path].join(" "))} ${quote(entries.join("\n"))}`);
    for (const o of c.options) {
      if (!o.takesValue) continue;
      for (const flag of [o.long, o.short]) if (flag) valued.add(flag);
      if (o.long && o.values && !items.includes(o.long)) {
        items.push(o.long);
        values.push(`  ${quote(o.long)} ${quote(o.values.join(" "))}`);
      }
    }
  }
  return `#compdef pystore
# zsh completion for pystore (pystore completion zsh)
# Install: pystore completion zsh > "\${fpath[1]}/_pystore", or source it from ~/.zshrc.
typeset -gA _pystore_items _pystore_values
_pystore_items=(
${words.join("\n")}
)
_pystore_values=(
${values.join("\n")}
)
typeset -g _pystore_takes_value=' ${[...valued].sort().join(" ")} '

_pystore() {
  local path=pystore word candidate prev i
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    if [[ $word == -* ]]; then
      # An option's value is the next word: skip it.
      [[ $_pystore_takes_value == *" $word "* ]] && (( i++ ))
      continue
    fi
    candidate="$path $word"
    (( \${+_pystore_items[$candidate]} )) && path=$candidate
  done
  prev=\${words[CURRENT-1]}
  if [[ $_pystore_takes_value == *" $prev "* ]]; then
    if (( \${+_pystore_values[$prev]} )); then
      compadd -- \${=_pystore_values[$prev]}
    else
      _files
    fi
    return
  fi
  local -a items
  items=("\${(@f)_pystore_items[$path]}")
  _describe -t commands pystore items
}

if [[ $funcstack[1] == _pystore ]]; then
  _pystore "$@"
else
  compdef _pystore pystore
fi
`;
}
