// The fish completion script: one `complete` line per subcommand and option, guarded by the command
// path found in the words typed so far.

import type { CompletionCommand } from "./model.js";

const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export function fishScript(model: CompletionCommand[]): string {
  const valued = new Set<string>();
  for (const c of model) for (const o of c.options) if (o.takesValue) for (const f of [o.long, o.short]) if (f) valued.add(f);
  const lines: string[] = [];
  for (const c of model) {
    const guard = `-n ${quote(`__pystore_path_is ${quote(c.path.join(" "))}`)}`;
    for (const s of c.subcommands) lines.push(`complete -c pystore ${guard} -a ${quote(s.name)} -d ${quote(s.description)}`);
    for (const o of c.options) {
      const flags = [o.long && `-l ${o.long.slice(2)}`, o.short && `-s ${o.short.slice(1)}`].filter(Boolean).join(" ");
      const value = o.takesValue ? (o.values ? ` -x -a ${quote(o.values.join(" "))}` : " -r -F") : "";
      lines.push(`complete -c pystore ${guard} ${flags}${value} -d ${quote(o.description)}`);
    }
  }
  return `# fish completion for pystore (pystore completion fish)
# Install: pystore completion fish > ~/.config/fish/completions/pystore.fish
set -g __pystore_paths ${model.map((c) => quote(c.path.join(" "))).join(" ")}
set -g __pystore_takes_value ${[...valued].sort().join(" ")}

function __pystore_path
    set -l words (commandline -opc)
    set -e words[1]
    set -l path ''
    set -l skip 0
    for word in $words
        if test $skip = 1
            set skip 0
            continue
        end
        if string match -q -- '-*' $word
            # An option's value is the next word: skip it.
            contains -- $word $__pystore_takes_value; and set skip 1
            continue
        end
        set -l candidate (string trim -- "$path $word")
        contains -- $candidate $__pystore_paths; and set path $candidate
    end
    echo $path
end

function __pystore_path_is
    test (__pystore_path) = "$argv[1]"
end

complete -c pystore -f
${lines.join("\n")}
`;
}
