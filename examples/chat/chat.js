// The chat page's script. It runs after the page's socket.io client bundle
// (/client/<gen>.js), which defines the global io unless it failed to load.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const gen = document.body.dataset.client;
  const $ = (id) => document.getElementById(id);
  const nick = $('nick');
  const picker = $('gen');
  const input = $('input');
  const send = $('send');
  const status = $('status');
  const onlineBadge = $('online');
  const list = $('messages');
  const label = picker.options[picker.selectedIndex].text;

  nick.value = (params.get('name') || '').trim() || 'guest' + Math.floor(100 + Math.random() * 900);

  // The picker reloads the page with the chosen client, keeping the name.
  picker.addEventListener('change', () => {
    params.set('client', picker.value);
    params.set('name', nick.value);
    location.search = params.toString();
  });

  function add(cls, from, text) {
    const hint = $('hint');
    if (hint) hint.remove();
    const li = document.createElement('li');
    li.className = cls;
    if (from) {
      const b = document.createElement('span');
      b.className = 'from';
      b.textContent = from;
      li.appendChild(b);
    }
    li.appendChild(document.createTextNode(text));
    if (cls === 'mine' || cls === 'theirs') {
      // Shown by CSS, so that a line's text stays the name and the message.
      li.dataset.time = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    }
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function problem(short, text) {
    status.textContent = short;
    status.classList.add('error');
    add('problem', '', text);
  }

  if (typeof io === 'undefined') {
    problem('cannot connect: /client/' + gen + '.js did not load', 'The ' + label + ' browser bundle could not be loaded from /client/' + gen + '.js, so this page cannot connect. ' +
      'Install it with npm ci in client-js/ (bash scripts/chat.sh does that before starting the server) and reload.');
    return;
  }

  // 0.9 clients: io is an object and io.connect() the way in; emit with a
  // callback and the connect/disconnect events work as in later clients.
  const socket = typeof io === 'function' ? io() : io.connect(location.origin, { 'force new connection': true });
  window.chatSocket = socket;

  // The latest head count wins: counts carry a sequence number because two
  // of them, taken by different connections, may arrive in either order.
  let seq = 0;
  function showOnline(info) {
    if (!info || typeof info.online !== 'number' || info.seq <= seq) return;
    seq = info.seq;
    onlineBadge.textContent = info.online + ' online';
    onlineBadge.dataset.count = String(info.online);
  }

  function transport() {
    try {
      return socket.io ? socket.io.engine.transport.name : socket.socket.transport.name;
    } catch (e) {
      return '?';
    }
  }

  let connected = false;
  function showStatus() {
    if (connected) status.textContent = 'connected as ' + nick.value + ' over ' + transport();
  }

  socket.on('connect', () => {
    status.classList.remove('error');
    status.textContent = 'joining…';
    if (socket.io && socket.io.engine) socket.io.engine.on('upgrade', showStatus);
    socket.emit('join', nick.value, (info) => {
      connected = true;
      showOnline(info);
      showStatus();
      input.disabled = send.disabled = false;
      document.body.dataset.ready = 'true';
      input.focus();
    });
  });
  socket.on('disconnect', (reason) => {
    connected = false;
    status.textContent = 'disconnected (' + reason + '), reconnecting…';
    onlineBadge.textContent = '– online';
    input.disabled = send.disabled = true;
    document.body.dataset.ready = 'false';
  });
  socket.on('online', showOnline);
  socket.on('chat', (m) => add('theirs', m.from, m.text));
  socket.on('notice', (text) => add('notice', '', text));

  nick.addEventListener('change', () => {
    nick.value = nick.value.trim() || 'anonymous';
    if (connected) socket.emit('join', nick.value, (info) => { showOnline(info); showStatus(); });
  });

  $('form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text || !connected) return;
    socket.emit('chat', text, () => {});
    add('mine', nick.value, text);
    input.value = '';
  });
})();
