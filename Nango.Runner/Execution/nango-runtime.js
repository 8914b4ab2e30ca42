// Evaluated once per engine. Builds the `nango` object a function receives (nango-api.md §4.2), runs the
// function's export and turns whatever it throws into Nango's error shape. Every call that leaves the engine
// goes through `host(op, json)`, a .NET function bound to the task that answers a JSON envelope
// {"ok":true,"value":…} or {"ok":false,"error":{type,message,payload,status}}. A record chunk goes through
// `recordsHost(action, model, mergingStrategy, records, start, end, withoutMetadata)` instead: .NET writes the records'
// JSON there and then (RecordChunkWriter) and answers a function that sends them and answers the same envelope.
// Nothing else is reachable.
(function () {
  'use strict';

  const LOG_LEVELS = { debug: 'debug', info: 'info', warn: 'warn', error: 'error', verbose: 'debug', silly: 'debug', http: 'info' };
  const LOGGER_RANK = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };
  const MAX_LOG_MESSAGE = 10000;
  const CONNECTION_TTL_MS = 60000;
  const DONE = {};

  class ActionError extends Error {
    constructor(payload) {
      super();
      this.name = 'ActionError';
      this.type = 'action_script_runtime_error';
      if (payload) {
        this.payload = payload;
      }
    }
  }

  // A refusal of the internal API (unknown connection, refresh failed, …) or a misuse of the SDK.
  class SdkError extends Error {
    constructor(type, message, payload, status) {
      super(message);
      this.name = 'NangoSdkError';
      this.type = type;
      this.payload = payload === undefined || payload === null ? {} : payload;
      this.status = status || 500;
    }
  }

  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  }

  function describe(value) {
    if (typeof value === 'string') {
      return value;
    }
    if (value instanceof Error) {
      return value.name + ': ' + value.message;
    }
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (e) {
      return String(value);
    }
  }

  function stringMap(value) {
    if (!isPlainObject(value)) {
      return undefined;
    }
    const result = {};
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item !== undefined && item !== null) {
        result[key] = Array.isArray(item) ? item.join(',') : String(item);
      }
    }
    return result;
  }

  function paramsMap(value) {
    if (typeof value !== 'string') {
      return stringMap(value);
    }
    const result = {};
    for (const pair of value.replace(/^\?/, '').split('&')) {
      if (!pair) {
        continue;
      }
      const at = pair.indexOf('=');
      const key = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
      result[key] = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1).replace(/\+/g, ' '));
    }
    return result;
  }

  // lodash-style paths: a.b[0].c
  function pathParts(path) {
    return String(path).replace(/\[(\w+)\]/g, '.$1').split('.').filter((p) => p.length > 0);
  }

  function getPath(object, path) {
    let current = object;
    for (const part of pathParts(path)) {
      if (current === null || current === undefined) {
        return undefined;
      }
      current = current[part];
    }
    return current;
  }

  function setPath(object, path, value) {
    const parts = pathParts(path);
    let current = object;
    for (let i = 0; i < parts.length - 1; i++) {
      if (!isPlainObject(current[parts[i]]) && !Array.isArray(current[parts[i]])) {
        current[parts[i]] = /^\d+$/.test(parts[i + 1]) ? [] : {};
      }
      current = current[parts[i]];
    }
    current[parts[parts.length - 1]] = value;
  }

  // RFC 8288 Link header: <url>; rel="next", <url>; rel="last"
  function linkRelations(header) {
    const result = {};
    if (typeof header !== 'string') {
      return result;
    }
    for (const part of header.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>(.*)$/.exec(part);
      if (!match) {
        continue;
      }
      const rel = /;\s*rel="?([^";]+)"?/i.exec(match[2]);
      if (rel) {
        for (const name of rel[1].trim().split(/\s+/)) {
          result[name] = { url: match[1] };
        }
      }
    }
    return result;
  }

  function httpError(response) {
    const error = new Error('Request failed with status code ' + response.status);
    error.name = 'AxiosError';
    error.isAxiosError = true;
    error.code = response.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST';
    error.status = response.status;
    error.config = response.config;
    error.response = response;
    return error;
  }

  function toRunnerError(err) {
    if (err instanceof ActionError || (err !== null && typeof err === 'object' && err.type === 'action_script_runtime_error')) {
      const raw = err.payload;
      const payload = Array.isArray(raw) || (raw !== undefined && raw !== null && typeof raw !== 'object') ? { message: raw } : raw || {};
      const message = typeof payload.message === 'string' && payload.message ? payload.message : 'The function threw an ActionError';
      return { type: 'action_script_runtime_error', message: message, payload: payload, status: 500 };
    }
    if (err instanceof SdkError) {
      return { type: err.type, message: err.message, payload: err.payload, status: err.status };
    }
    if (err !== null && typeof err === 'object' && err.isAxiosError) {
      if (err.response) {
        const data = err.response.data;
        const raw = isPlainObject(data) && 'payload' in data ? data.payload : data;
        const body = raw !== null && typeof raw === 'object' ? raw : { message: raw };
        const headers = {};
        const upstreamHeaders = err.response.headers || {};
        for (const key of Object.keys(upstreamHeaders)) {
          const name = key.toLowerCase();
          if (name === 'content-type' || name.indexOf('x-rate') === 0) {
            headers[name] = String(upstreamHeaders[key]);
          }
        }
        return {
          type: 'script_http_error',
          message: err.message,
          payload: body,
          status: err.response.status,
          additional_properties: { upstream_response: { status: err.response.status, headers: headers, body: body } }
        };
      }
      return { type: 'script_network_error', message: err.message, payload: { name: err.name, code: err.code, message: err.message }, status: 500 };
    }
    if (err instanceof Error) {
      const payload = { name: err.name || 'Error', message: err.message };
      if (err.code !== undefined) {
        payload.code = err.code;
      }
      return { type: 'script_internal_error', message: (err.name || 'Error') + ': ' + err.message, payload: payload, status: 500 };
    }
    const text = describe(err);
    return { type: 'script_internal_error', message: 'The function threw a non-Error value: ' + text, payload: { name: 'Error', message: text }, status: 500 };
  }

  function checkCheckpoint(checkpoint) {
    if (!isPlainObject(checkpoint)) {
      throw new Error('A checkpoint must be a flat object');
    }
    const keys = Object.keys(checkpoint);
    if (keys.length > 16) {
      throw new Error('A checkpoint may have at most 16 fields');
    }
    const result = {};
    for (const key of keys) {
      let value = checkpoint[key];
      if (key.length > 255) {
        throw new Error('Checkpoint keys may be at most 255 characters long');
      }
      if (value instanceof Date) {
        value = value.toISOString();
      }
      if (typeof value === 'string' && value.length > 4000) {
        throw new Error('Checkpoint value "' + key + '" is longer than 4000 characters');
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new Error('Checkpoint value "' + key + '" must be a string, number, boolean or Date');
      }
      result[key] = value;
    }
    return result;
  }

  // The sync's record chunks are pipelined one deep: batchSave/batchUpdate/batchDelete hand a chunk to the host and
  // return while it is being stored, so the script builds or fetches the next one meanwhile. Still at most one chunk
  // is in flight (the next waits for it), and every call but proxy and log waits until it is stored, so a checkpoint
  // never gets ahead of the records it follows and reads see every record saved before them. A chunk that fails fails
  // the run: its error is thrown by the next call and again when the run ends, even if the script catches it.
  function createWrites() {
    let inFlight = null;
    let failure = null;

    async function waitForInFlight() {
      while (inFlight !== null) {
        const pending = inFlight;
        try {
          await pending;
        } catch (err) {
          if (failure === null) {
            failure = err;
          }
        }
        if (inFlight === pending) {
          inFlight = null;
        }
      }
      if (failure !== null) {
        throw failure;
      }
    }

    return {
      settle: waitForInFlight,
      // start() runs in the same turn as the check that nothing is in flight: no other write can slip in between.
      async enqueue(start) {
        await waitForInFlight();
        const pending = start();
        inFlight = pending;
        pending.catch(function () {});
      }
    };
  }

  function createNango(host, recordsHost, ctx, writes) {
    const connections = new Map();
    const logger = { level: 'debug' };

    function replyValue(text) {
      const reply = JSON.parse(text);
      if (!reply.ok) {
        const e = reply.error || {};
        throw new SdkError(e.type || 'script_internal_error', e.message || 'The internal API refused the call', e.payload, e.status);
      }
      return reply.value;
    }

    async function call(op, payload) {
      if (op !== 'proxy' && op !== 'log') {
        await writes.settle();
      }
      return replyValue(await host(op, payload === undefined ? '' : JSON.stringify(payload)));
    }

    // One record chunk, stored in the background (see createWrites). recordsHost() takes the chunk's JSON now, so the
    // script may change its records as soon as the call returns.
    function write(action, model, mergingStrategy, records, start, end, withoutMetadata) {
      const sendChunk = recordsHost(action, model, mergingStrategy, records, start, end, withoutMetadata);
      return writes.enqueue(function () {
        return sendChunk().then(replyValue);
      });
    }

    const nango = {
      connectionId: ctx.connectionId,
      providerConfigKey: ctx.providerConfigKey,
      provider: ctx.provider,
      environmentName: ctx.environment,
      scriptType: ctx.kind,
      variant: ctx.variant || 'base',
      ActionError: ActionError,

      async proxy(config) {
        config = Object.assign({}, config || {});
        const method = String(config.method || 'GET').toUpperCase();
        if (typeof config.endpoint !== 'string' || config.endpoint.length === 0) {
          throw new SdkError('missing_endpoint', 'nango.proxy needs an endpoint', {}, 400);
        }
        const answer = await call('proxy', {
          method: method,
          endpoint: config.endpoint,
          headers: stringMap(config.headers),
          params: paramsMap(config.params),
          data: config.data,
          retries: config.retries,
          retryOn: Array.isArray(config.retryOn) ? config.retryOn.map(String) : undefined,
          baseUrlOverride: config.baseUrlOverride,
          providerConfigKey: config.providerConfigKey,
          connectionId: config.connectionId
        });
        const response = {
          status: answer.status,
          statusText: '',
          headers: answer.headers || {},
          data: answer.data === undefined ? null : answer.data,
          config: Object.assign(config, { method: method })
        };
        if (response.status < 200 || response.status >= 300) {
          throw httpError(response);
        }
        return response;
      },

      get(config) {
        return nango.proxy(Object.assign({}, config, { method: 'GET' }));
      },
      post(config) {
        return nango.proxy(Object.assign({}, config, { method: 'POST' }));
      },
      put(config) {
        return nango.proxy(Object.assign({}, config, { method: 'PUT' }));
      },
      patch(config) {
        return nango.proxy(Object.assign({}, config, { method: 'PATCH' }));
      },
      delete(config) {
        return nango.proxy(Object.assign({}, config, { method: 'DELETE' }));
      },

      paginate(config) {
        return paginate(nango, ctx.providerPaginate, Object.assign({}, config || {}));
      },

      async getConnection(providerConfigKeyOverride, connectionIdOverride, options) {
        const providerConfigKey = providerConfigKeyOverride || ctx.providerConfigKey;
        const connectionId = connectionIdOverride || ctx.connectionId;
        const key = providerConfigKey + '\u0000' + connectionId;
        const cached = connections.get(key);
        const refresh = options && (options.forceRefresh || options.refreshToken || options.refreshGithubAppJwtToken);
        if (cached && !refresh && Date.now() - cached.at < CONNECTION_TTL_MS) {
          return cached.connection;
        }
        const connection = await call('getConnection', {
          providerConfigKey: providerConfigKey,
          connectionId: connectionId,
          forceRefresh: Boolean(options && options.forceRefresh),
          refreshToken: Boolean(options && options.refreshToken),
          refreshGithubAppJwtToken: Boolean(options && options.refreshGithubAppJwtToken)
        });
        connections.set(key, { connection: connection, at: Date.now() });
        return connection;
      },

      async getToken() {
        const credentials = (await nango.getConnection()).credentials || {};
        switch (credentials.type) {
          case 'OAUTH2':
            return credentials.access_token;
          case 'OAUTH1':
            return { oAuthToken: credentials.oauth_token, oAuthTokenSecret: credentials.oauth_token_secret };
          default:
            return credentials;
        }
      },

      async getMetadata() {
        return (await nango.getConnection()).metadata;
      },

      async setMetadata(metadata) {
        try {
          return { status: 200, data: await call('setMetadata', { metadata: metadata }) };
        } finally {
          connections.clear();
        }
      },

      async updateMetadata(metadata) {
        try {
          return { status: 200, data: await call('updateMetadata', { metadata: metadata }) };
        } finally {
          connections.clear();
        }
      },

      async getEnvironmentVariables() {
        return await call('getEnvironmentVariables');
      },

      async log() {
        let args = Array.prototype.slice.call(arguments);
        if (args.length === 0 || logger.level === 'off') {
          return;
        }
        let level = 'info';
        const last = args[args.length - 1];
        if (args.length > 1 && isPlainObject(last) && typeof last.level === 'string' && Object.keys(last).length === 1) {
          level = LOG_LEVELS[last.level] || 'info';
          args = args.slice(0, -1);
        }
        if (LOGGER_RANK[level] < LOGGER_RANK[logger.level]) {
          return;
        }
        let message = args.map(describe).join(' ');
        if (message.length > MAX_LOG_MESSAGE) {
          message = message.slice(0, MAX_LOG_MESSAGE);
        }
        await call('log', { entries: [{ level: level, message: message, timestamp: new Date().toISOString() }] });
      },

      setLogger(options) {
        if (logger.level === 'off' || !options || !(options.level in LOGGER_RANK)) {
          return;
        }
        logger.level = options.level;
      },

      async triggerAction(providerConfigKey, connectionId, actionName, input) {
        const answer = await call('triggerAction', { providerConfigKey: providerConfigKey, connectionId: connectionId, actionName: actionName, input: input });
        return answer ? answer.output : undefined;
      },

      async getCheckpoint() {
        const answer = await call('getCheckpoint');
        return answer && answer.checkpoint !== undefined ? answer.checkpoint : null;
      },

      async saveCheckpoint(checkpoint) {
        await call('saveCheckpoint', { checkpoint: checkCheckpoint(checkpoint) });
      },

      async clearCheckpoint() {
        await call('clearCheckpoint');
      },

      async zodValidateInput(options) {
        const parsed = options.zodSchema.safeParse(options.input);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            await nango.log('Invalid input provided: ' + issue.message + ' at path ' + issue.path.join('.'), { level: 'error' });
          }
          throw new ActionError({ message: 'Invalid input provided' });
        }
        return parsed;
      },

      async uncontrolledFetch() {
        throw new SdkError('not_supported', 'uncontrolledFetch is not available: reach APIs through nango.proxy', {}, 400);
      }
    };
    if (ctx.kind === 'sync' || ctx.kind === 'webhook') {
      addSyncMembers(nango, call, write, ctx);
    }
    return nango;
  }

  const RECORDS_PER_CALL = 1000;
  const MERGING_STRATEGIES = ['override', 'ignore_if_modified_after'];

  // The record calls of a sync (nango-api.md §4.2). Records go to the internal API in chunks of RECORDS_PER_CALL, each
  // acknowledged (stored) before the next is sent, so a run that dies loses at most the chunk in flight.
  function addSyncMembers(nango, call, write, ctx) {
    const strategies = {};

    function checkModel(model, method) {
      if (typeof model !== 'string' || model.length === 0) {
        throw new SdkError('invalid_model', method + ' needs the model name as its second argument', {}, 400);
      }
    }

    function withoutMetadata(record) {
      if (isPlainObject(record) && '_nango_metadata' in record) {
        const copy = Object.assign({}, record);
        delete copy._nango_metadata;
        return copy;
      }
      return record;
    }

    async function send(action, records, model, method) {
      checkModel(model, method);
      if (!Array.isArray(records)) {
        throw new SdkError('invalid_records', method + ' needs an array of records', {}, 400);
      }
      for (let i = 0; i < records.length; i += RECORDS_PER_CALL) {
        // The host takes records i to i + RECORDS_PER_CALL as they are now, each through withoutMetadata (it calls it for
        // a record that has _nango_metadata, or may have: the same records as slice and map, without copying them here).
        await write(action, model, strategies[model], records, i, Math.min(i + RECORDS_PER_CALL, records.length), withoutMetadata);
      }
      return true;
    }

    nango.lastSyncDate = ctx.lastSyncDate ? new Date(ctx.lastSyncDate) : undefined;
    nango.syncMode = ctx.syncMode;
    nango.getVariant = function () {
      return nango.variant;
    };
    nango.batchSave = function (records, model) {
      return send('save', records, model, 'batchSave');
    };
    nango.batchSend = nango.batchSave;
    nango.batchUpdate = function (records, model) {
      return send('update', records, model, 'batchUpdate');
    };
    nango.batchDelete = function (records, model) {
      return send('delete', records, model, 'batchDelete');
    };
    nango.setMergingStrategy = async function (merging, model) {
      checkModel(model, 'setMergingStrategy');
      const strategy = merging && merging.strategy;
      if (MERGING_STRATEGIES.indexOf(strategy) < 0) {
        throw new SdkError('invalid_merging_strategy', 'The merging strategy must be one of ' + MERGING_STRATEGIES.join(', '), {}, 400);
      }
      strategies[model] = strategy;
    };
    nango.getRecordsByIds = async function (ids, model) {
      checkModel(model, 'getRecordsByIds');
      const found = new Map();
      const byText = new Map();
      for (const id of ids || []) {
        byText.set(String(id), id);
      }
      const all = Array.from(byText.keys());
      for (let i = 0; i < all.length; i += 100) {
        const page = await call('getRecordsByIds', { model: model, ids: all.slice(i, i + 100) });
        for (const record of page.records || []) {
          const original = byText.get(String(record.id));
          if (original !== undefined) {
            found.set(original, record);
          }
        }
      }
      return found;
    };
    nango.listRecords = function (model, options) {
      checkModel(model, 'listRecords');
      let cursor = options && options.cursor ? options.cursor : null;
      let buffer = [];
      let finished = false;
      const iterator = {
        async next() {
          while (buffer.length === 0 && !finished) {
            const page = await call('listRecords', { model: model, cursor: cursor });
            buffer = page.records || [];
            cursor = page.nextCursor || null;
            finished = !cursor;
          }
          return buffer.length > 0 ? { done: false, value: buffer.shift() } : { done: true, value: undefined };
        },
        async return(value) {
          finished = true;
          buffer = [];
          return { done: true, value: value };
        }
      };
      iterator[Symbol.asyncIterator] = function () {
        return iterator;
      };
      return iterator;
    };
    nango.trackDeletesStart = async function (model) {
      checkModel(model, 'trackDeletesStart');
      await call('trackDeletes', { model: model, phase: 'start' });
    };
    nango.trackDeletesEnd = async function (model) {
      checkModel(model, 'trackDeletesEnd');
      const answer = await call('trackDeletes', { model: model, phase: 'end' });
      return { deletedKeys: (answer && answer.deletedKeys) || [] };
    };
    nango.deleteRecordsFromPreviousExecutions = nango.trackDeletesEnd;
  }

  function paginate(nango, providerPaginate, config) {
    const paginateConfig = Object.assign({}, isPlainObject(providerPaginate) ? providerPaginate : {}, config.paginate || {});
    if (!paginateConfig.type) {
      throw new Error('There was no pagination configuration for this integration or configuration passed in.');
    }
    switch (paginateConfig.type) {
      case 'cursor':
        if (!paginateConfig.cursor_name_in_request) {
          throw new Error('Param cursor_name_in_request is required for cursor pagination');
        }
        if (!paginateConfig.cursor_path_in_response) {
          throw new Error('Param cursor_path_in_response is required for cursor pagination');
        }
        if (paginateConfig.limit && !paginateConfig.limit_name_in_request) {
          throw new Error('Param limit_name_in_request is required for cursor pagination when limit is set');
        }
        break;
      case 'link':
        if (!paginateConfig.link_rel_in_response_header && !paginateConfig.link_path_in_response_body) {
          throw new Error('Either param link_rel_in_response_header or link_path_in_response_body is required for link pagination');
        }
        break;
      case 'offset':
        if (!paginateConfig.offset_name_in_request) {
          throw new Error('Param offset_name_in_request is required for offset pagination');
        }
        break;
      default:
        throw new Error('Pagination type ' + paginateConfig.type + ' is not supported. Only cursor, link and offset pagination types are supported.');
    }

    config.method = config.method || 'GET';
    const inBody = config.paginate && config.paginate.in_body !== undefined
      ? Boolean(config.paginate.in_body)
      : ['post', 'put', 'patch'].indexOf(String(config.method).toLowerCase()) >= 0;
    const bodyOrParams = (inBody ? config.data : config.params) || {};
    if (paginateConfig.limit) {
      bodyOrParams[paginateConfig.limit_name_in_request] = paginateConfig.limit;
    }
    const proxyConfig = Object.assign({}, config);
    delete proxyConfig.paginate;

    function apply() {
      if (inBody) {
        const expanded = {};
        for (const key of Object.keys(bodyOrParams)) {
          setPath(expanded, key, bodyOrParams[key]);
        }
        proxyConfig.data = expanded;
      } else {
        proxyConfig.params = Object.assign({}, bodyOrParams);
      }
    }

    function pageOf(response) {
      return paginateConfig.response_path ? getPath(response.data, paginateConfig.response_path) : response.data;
    }

    let step;
    if (paginateConfig.type === 'cursor') {
      let started = false;
      let nextCursor;
      step = async function () {
        if (started && nextCursor === undefined) {
          return DONE;
        }
        started = true;
        if (nextCursor !== undefined) {
          bodyOrParams[paginateConfig.cursor_name_in_request] = nextCursor;
        }
        apply();
        const response = await nango.proxy(proxyConfig);
        const page = pageOf(response);
        if (!page || !page.length) {
          return DONE;
        }
        let cursor = getPath(response.data, paginateConfig.cursor_path_in_response);
        if (typeof cursor === 'string') {
          cursor = cursor.trim() || undefined;
        } else if (typeof cursor !== 'number') {
          cursor = undefined;
        }
        nextCursor = cursor;
        if (typeof paginateConfig.on_page === 'function') {
          await paginateConfig.on_page({ nextPageParam: nextCursor, response: response });
        }
        return page;
      };
    } else if (paginateConfig.type === 'link') {
      let finished = false;
      let previousLink;
      apply();
      step = async function () {
        if (finished) {
          return DONE;
        }
        const response = await nango.proxy(proxyConfig);
        const page = pageOf(response);
        let next;
        if (paginateConfig.link_rel_in_response_header) {
          const relation = linkRelations(response.headers.link)[paginateConfig.link_rel_in_response_header];
          next = relation && relation.url;
        }
        if (!next && paginateConfig.link_path_in_response_body) {
          next = getPath(response.data, paginateConfig.link_path_in_response_body);
        }
        if (typeof paginateConfig.on_page === 'function') {
          await paginateConfig.on_page({ nextPageParam: next, response: response });
        }
        if (!next || next === previousLink) {
          finished = true;
        } else {
          previousLink = next;
          const absolute = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)(.*)$/i.exec(next);
          if (absolute) {
            proxyConfig.baseUrlOverride = absolute[1];
            proxyConfig.endpoint = absolute[2] || '/';
          } else {
            proxyConfig.endpoint = next;
          }
          delete proxyConfig.params;
        }
        return page;
      };
    } else {
      let finished = false;
      let offset = paginateConfig.offset_start_value || 0;
      step = async function () {
        if (finished) {
          return DONE;
        }
        bodyOrParams[paginateConfig.offset_name_in_request] = inBody ? offset : String(offset);
        apply();
        const response = await nango.proxy(proxyConfig);
        const page = pageOf(response);
        if (!page || !page.length) {
          return DONE;
        }
        if (paginateConfig.limit && page.length < Number(paginateConfig.limit)) {
          finished = true;
          return page;
        }
        if (typeof paginateConfig.on_page === 'function') {
          await paginateConfig.on_page({ nextPageParam: offset, response: response });
        }
        offset = paginateConfig.offset_calculation_method === 'per-page' ? offset + 1 : offset + page.length;
        return page;
      };
    }

    let done = false;
    const iterator = {
      async next() {
        if (done) {
          return { done: true, value: undefined };
        }
        const page = await step();
        if (page === DONE) {
          done = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: page };
      },
      async return(value) {
        done = true;
        return { done: true, value: value };
      }
    };
    iterator[Symbol.asyncIterator] = function () {
      return iterator;
    };
    return iterator;
  }

  const expectedTypes = { action: 'action', sync: 'sync', webhook: 'sync', 'on-event': 'onEvent' };

  // loadExports evaluates the bundle (CommonJS or ES module) and answers its exports. Resolves to a JSON
  // string {"ok":true,"output":…} or {"ok":false,"error":…}; limits the engine enforces are not caught here.
  async function run(loadExports, host, recordsHost, contextJson, inputJson) {
    const ctx = JSON.parse(contextJson);
    const writes = createWrites();
    try {
      const nango = createNango(host, recordsHost, ctx, writes);
      const exported = loadExports();
      const input = inputJson ? JSON.parse(inputJson) : undefined;
      const definition = exported ? exported.default : undefined;
      let output;
      if (definition !== null && typeof definition === 'object') {
        if (definition.type !== expectedTypes[ctx.kind]) {
          throw new Error('Incorrect script loaded for ' + ctx.kind + ': its type is ' + definition.type);
        }
        if (ctx.kind === 'webhook') {
          if (typeof definition.onWebhook !== 'function') {
            throw new Error('Missing onWebhook function');
          }
          output = await definition.onWebhook(nango, input);
        } else {
          if (typeof definition.exec !== 'function') {
            throw new Error('Missing exec function');
          }
          output = ctx.kind === 'action' ? await definition.exec(nango, input) : await definition.exec(nango);
        }
      } else if (typeof definition === 'function') {
        if (ctx.kind === 'webhook') {
          if (typeof exported.onWebhookPayloadReceived !== 'function') {
            throw new Error('There is no onWebhookPayloadReceived export');
          }
          output = await exported.onWebhookPayloadReceived(nango, input);
        } else if (ctx.kind === 'action') {
          const legacyInput = isPlainObject(input) && Object.keys(input).length === 0 ? undefined : input;
          output = await definition(nango, legacyInput);
        } else {
          output = await definition(nango);
        }
      } else {
        throw new Error('Invalid script exports: the default export must be a function definition (createAction, createSync, createOnEvent) or a function');
      }
      // The run has succeeded only once its last chunk is stored.
      await writes.settle();
      if (ctx.kind === 'sync') {
        output = true;
      }
      const json = output === undefined ? undefined : JSON.stringify(output);
      return '{"ok":true,"output":' + (json === undefined ? 'null' : json) + '}';
    } catch (err) {
      // Nothing is left in flight when the task ends, whatever ended it.
      try {
        await writes.settle();
      } catch (ignored) {
        // The run fails with the error that ended it.
      }
      return JSON.stringify({ ok: false, error: toRunnerError(err) });
    }
  }

  return { run: run };
})();
