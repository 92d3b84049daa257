// The code editor: CodeMirror 6 with JavaScript highlighting, named "Code" for screen readers.
// It lives in a shadow root of its host: CodeMirror writes its style into a constructed style
// sheet there (in a document it would add a <style> element, which the pages' CSP, style-src
// 'self', refuses). Tab is not taken over: it leaves the editor, so the keyboard never gets stuck
// in it (basicSetup's indentation keys are Mod-[ and Mod-]).
import { javascript } from '@codemirror/lang-javascript';
import { basicSetup, EditorView } from 'codemirror';

export interface CodeEditor {
  text(): string;
  setText(text: string): void;
  focus(): void;
}

export function codeEditor(host: HTMLElement, label: string): CodeEditor {
  const root = host.attachShadow({ mode: 'open' });
  const view = new EditorView({
    parent: root,
    extensions: [
      basicSetup,
      javascript(),
      // Long lines wrap, and the editor grows with its text: nothing in it scrolls on its own,
      // which a keyboard could not reach, and it reads at 400 px wide.
      EditorView.lineWrapping,
      // aria-label, not aria-labelledby: an id outside the shadow root cannot be referred to from inside it.
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.theme({
        '&': { fontSize: '14px', backgroundColor: '#fff' },
        '.cm-content': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', minHeight: '160px' },
        '.cm-gutters': { backgroundColor: '#f3f3f3', color: '#555', borderRight: '1px solid #d6d6d6' },
        '&.cm-focused': { outline: 'none' },
      }),
    ],
  });
  return {
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: 0 } }),
    focus: () => view.focus(),
  };
}
