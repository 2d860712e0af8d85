// `pystore completion bash|zsh|fish`: prints the completion script, generated from the CLI definitions.

import type { Command } from "commander";
import { PystoreError } from "../../errors.js";
import type { ActionFactory } from "../register.js";
import { bashScript } from "./bash.js";
import { fishScript } from "./fish.js";
import { completionModel } from "./model.js";
import { zshScript } from "./zsh.js";

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

export function registerCompletionCommand(program: Command, action: ActionFactory): void {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .action(
      action(async () => ({
        default: async (args: string[], _options: unknown, ctx: { out(text: string): void }) => {
          const shell = args[0] as keyof typeof SHELLS;
          const script = SHELLS[shell];
          if (!script) {
            throw new PystoreError("USAGE", `completion ${JSON.stringify(args[0])}: pystore writes completion for bash, zsh and fish`, {
              hint: "e.g. pystore completion bash > ~/.local/share/bash-completion/completions/pystore",
            });
          }
          ctx.out(script(completionModel(program)));
        },
      })),
    );
}
