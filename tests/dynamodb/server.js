// dynalite, a DynamoDB-protocol server, for the translation memory.
//
//   node server.js                  the tests: a free loopback port, printed on the first line;
//                                   exits when stdin closes (the test process ended)
//   node server.js PORT [TABLE]     run-local.sh: that port, and TABLE created as the template's
//                                   (partition key `id`, a string); runs until stopped
const http = require('http');
const dynalite = require('dynalite');

const [port, table] = [Number(process.argv[2] || 0), process.argv[3]];
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });

// dynalite checks that a request is signed, not the signature.
function createTable(name, done) {
  const body = JSON.stringify({
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const request = http.request({
    host: '127.0.0.1',
    port: server.address().port,
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.CreateTable',
      'X-Amz-Date': '20260101T000000Z',
      Authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
    },
  }, (response) => {
    response.resume();
    response.on('end', () => done(response.statusCode));
  });
  request.end(body);
}

server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  if (!table) {
    process.stdout.write(`${actual}\n`);
    return;
  }
  createTable(table, (status) => {
    process.stdout.write(`dynalite on http://127.0.0.1:${actual}, table ${table} (${status === 200 ? 'created' : `HTTP ${status}`})\n`);
  });
});
if (port === 0) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}
