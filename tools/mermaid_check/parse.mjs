// Parse Mermaid files with Mermaid's own parser, as GitHub and mermaid.live do before
// they draw. Prints each file's diagram type and how many boxes and links Mermaid read;
// exit 1 when any file does not parse. See docs/plot.md.
//
//   cd tools/mermaid_check && npm install && node parse.mjs FILE.mmd...
import fs from "fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
const mermaid = (await import("mermaid")).default;
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  try {
    const { diagramType } = await mermaid.parse(text);
    const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
    console.log(`${file}: ok, ${diagramType}, ${db.getVertices().size} boxes, ` +
                `${db.getEdges().length} links`);
  } catch (error) {
    failed += 1;
    console.log(`${file}: does not parse: ${error.message.split("\n").join(" | ")}`);
  }
}
process.exit(failed ? 1 : 0);
