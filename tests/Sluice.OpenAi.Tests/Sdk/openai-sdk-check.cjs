// Drives a Sluice server with the official openai npm package (installed by scripts/install-openai-deps.sh) and
// prints what it got as one JSON line for Sluice.OpenAi.Tests to check. Env: SLUICE_URL, SLUICE_KEY, SLUICE_MODEL,
// SLUICE_TOOLS (the folder holding node_modules/openai).
const { createRequire } = require('node:module');
const path = require('node:path');
const requireTools = createRequire(path.join(process.env.SLUICE_TOOLS, 'package.json'));
const mod = requireTools('openai');
const OpenAI = mod.OpenAI ?? mod.default ?? mod;

async function main() {
  const client = new OpenAI({ baseURL: process.env.SLUICE_URL + '/v1', apiKey: process.env.SLUICE_KEY, maxRetries: 0 });
  const model = process.env.SLUICE_MODEL;
  const out = { sdkVersion: mod.VERSION ?? null };

  const models = await client.models.list();
  out.models = [];
  for await (const m of models) out.models.push(m.id);

  const messages = [{ role: 'user', content: 'Once upon a time there was a little dog' }];
  const chat = await client.chat.completions.create({ model, messages, max_tokens: 40, temperature: 0 });
  out.chat = { object: chat.object, text: chat.choices[0].message.content, role: chat.choices[0].message.role, finish: chat.choices[0].finish_reason, usage: chat.usage };

  const stream = await client.chat.completions.create({ model, messages, max_tokens: 40, temperature: 0, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta?.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  out.chatStream = { text, chunks, finish, usage };

  const completion = await client.completions.create({ model, prompt: 'The sun was shining and', max_tokens: 24, temperature: 0 });
  out.completion = { object: completion.object, text: completion.choices[0].text, finish: completion.choices[0].finish_reason, usage: completion.usage };

  const cstream = await client.completions.create({ model, prompt: 'The sun was shining and', max_tokens: 24, temperature: 0, stream: true });
  let ctext = '';
  for await (const chunk of cstream) ctext += chunk.choices[0]?.text ?? '';
  out.completionStream = { text: ctext };

  try {
    await client.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 5 });
    out.notFound = { status: 200 };
  } catch (e) {
    out.notFound = { status: e.status, code: e.code, type: e.type, param: e.param, isNotFound: e instanceof OpenAI.NotFoundError };
  }

  try {
    const bad = new OpenAI({ baseURL: process.env.SLUICE_URL + '/v1', apiKey: 'wrong-key', maxRetries: 0 });
    await bad.chat.completions.create({ model, messages, max_tokens: 5 });
    out.unauthorized = { status: 200 };
  } catch (e) {
    out.unauthorized = { status: e.status, code: e.code, isAuth: e instanceof OpenAI.AuthenticationError };
  }

  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
