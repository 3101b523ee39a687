// A model-free ReAct graph for crosstalk's LangGraph interop tests.
//
// Shape: agent (think: emits a tool call) -> tools (runs `lookup`) -> agent
// (answers, streamed word by word) -> end. The answer quotes the user's last
// message verbatim, so canary words a user sends come back in that user's
// stream (and must never reach another user's).
//
// Directives inside the user's message change the run, so a scenario can
// exercise failure and cancellation paths without another graph:
//   [[fail]]    the agent node throws before answering (an `error` SSE event)
//   [[slow]]    tokens stream every LG_SLOW_TOKEN_DELAY_MS (default 250 ms),
//               long enough to cancel a run mid-answer
//   [[notool]]  skip the tool call and answer directly (think -> answer)
// LG_TOKEN_DELAY_MS (default 10) is the normal delay between answer tokens.

import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import { tool } from '@langchain/core/tools';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { z } from 'zod';

const TOKEN_DELAY_MS = readDelay('LG_TOKEN_DELAY_MS', 10);
const SLOW_TOKEN_DELAY_MS = readDelay('LG_SLOW_TOKEN_DELAY_MS', 250);

function readDelay(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number of milliseconds, got ${JSON.stringify(raw)}`);
  return value;
}

/** The plain text of a message's content (a string or a list of content blocks). */
function textOf(message) {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => (typeof block === 'string' ? block : block?.type === 'text' ? String(block.text ?? '') : ''))
      .join('');
  }
  return '';
}

function typeOf(message) {
  return message?.type ?? message?._getType?.();
}

function lastOfType(messages, type) {
  for (let i = messages.length - 1; i >= 0; i--) if (typeOf(messages[i]) === type) return messages[i];
  return undefined;
}

function sleep(ms, signal) {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Splits text into word tokens that keep their trailing whitespace, so the deltas concatenate back to the text. */
function tokenize(text) {
  return text.match(/\s*\S+\s*/g) ?? [text];
}

let toolCallCounter = 0;

/**
 * A chat model that needs no network: it decides from the conversation
 * itself. After a user message it asks for the `lookup` tool; after the tool
 * answered (or with [[notool]]) it streams the final answer token by token,
 * which is what makes LangGraph's `messages` stream modes emit many deltas.
 */
class ScriptedChatModel extends BaseChatModel {
  _llmType() {
    return 'crosstalk-scripted';
  }

  async _generate(messages, options, runManager) {
    let final;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager))
      final = final ? final.concat(chunk) : chunk;
    if (!final) return { generations: [] };
    // Store a plain AIMessage (as a real provider's invoke does), not the accumulated chunk.
    const { content, tool_calls: toolCalls, id } = final.message;
    return { generations: [{ message: new AIMessage({ content, tool_calls: toolCalls, id }), text: final.text }] };
  }

  async *_streamResponseChunks(messages, options, runManager) {
    const user = lastOfType(messages, 'human');
    const userText = textOf(user);
    const last = messages[messages.length - 1];
    if (userText.includes('[[fail]]')) throw new Error('simulated model failure ([[fail]] in the user message)');

    if (typeOf(last) === 'human' && !userText.includes('[[notool]]')) {
      // Think: a tool call, streamed the way OpenAI-style models do (name first, then arguments).
      const id = `call_${++toolCallCounter}`;
      const args = JSON.stringify({ query: userText });
      const parts = [
        { name: 'lookup', id, index: 0, args: '', type: 'tool_call_chunk' },
        { index: 0, args: args.slice(0, Math.ceil(args.length / 2)), type: 'tool_call_chunk' },
        { index: 0, args: args.slice(Math.ceil(args.length / 2)), type: 'tool_call_chunk' },
      ];
      for (const part of parts) {
        await sleep(TOKEN_DELAY_MS, options.signal);
        if (options.signal?.aborted) return;
        const chunk = new ChatGenerationChunk({
          message: new AIMessageChunk({ content: '', tool_call_chunks: [part] }),
          text: '',
        });
        yield chunk;
        await runManager?.handleLLMNewToken('', undefined, undefined, undefined, undefined, { chunk });
      }
      return;
    }

    // Answer: quote the user's message, then the tool's result when there is one.
    const toolMessage = typeOf(last) === 'tool' ? last : undefined;
    const answer = toolMessage
      ? `You said: "${userText}". The lookup tool says: ${textOf(toolMessage)}.`
      : `You said: "${userText}".`;
    const delayMs = userText.includes('[[slow]]') ? SLOW_TOKEN_DELAY_MS : TOKEN_DELAY_MS;
    for (const token of tokenize(answer)) {
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) return;
      const chunk = new ChatGenerationChunk({ message: new AIMessageChunk({ content: token }), text: token });
      yield chunk;
      await runManager?.handleLLMNewToken(token, undefined, undefined, undefined, undefined, { chunk });
    }
  }
}

const lookup = tool(
  async ({ query }) => {
    const words = query.trim() === '' ? 0 : query.trim().split(/\s+/).length;
    return `${words} word${words === 1 ? '' : 's'}, ${query.length} characters`;
  },
  {
    name: 'lookup',
    description: 'Counts the words and characters of a text (a deterministic stand-in for a real tool).',
    schema: z.object({ query: z.string() }),
  },
);

const model = new ScriptedChatModel({});

async function agent(state, config) {
  const reply = await model.invoke(state.messages, config);
  return { messages: [reply] };
}

function route(state) {
  const last = state.messages[state.messages.length - 1];
  return Array.isArray(last?.tool_calls) && last.tool_calls.length > 0 ? 'tools' : END;
}

/** The compiled graph served as `echo` (see langgraph.json). */
export const graph = new StateGraph(MessagesAnnotation)
  .addNode('agent', agent)
  .addNode('tools', new ToolNode([lookup]))
  .addEdge(START, 'agent')
  .addConditionalEdges('agent', route, ['tools', END])
  .addEdge('tools', 'agent')
  .compile();
