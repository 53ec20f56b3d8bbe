<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Processor;

use Oro\Bundle\ApiBundle\Model\Error;
use Oro\Bundle\ApiBundle\Processor\Create\CreateContext;
use Oro\Bundle\ApiBundle\Processor\Create\SaveEntity;
use Oro\Bundle\IntegrationBundle\Async\Topic\SyncIntegrationTopic;
use Oro\Bundle\IntegrationBundle\Entity\Channel;
use Oro\Bundle\IntegrationBundle\Manager\GenuineSyncScheduler;
use Oro\Bundle\MessageQueueBundle\Client\BufferedMessageProducer;
use Oro\Component\MessageQueue\Client\MessageProducerInterface;
use Oro\Component\MessageQueue\Job\Job;
use Oro\Component\MessageQueue\Job\JobProcessor;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\ScheduleIntegrationSync;

/**
 * Scheduling through GenuineSyncScheduler into a BufferedMessageProducer whose inner producer creates the unique
 * root job as oroinc/platform src/Oro/Component/MessageQueue/Job/JobMiddleware.php does when a message is sent.
 */
final class ScheduleIntegrationSyncTest extends TestCase
{
    private JobProcessor $jobs;
    private SyncIntegrationTopic $topic;
    private MessageProducerInterface $queue;
    private BufferedMessageProducer $producer;

    protected function setUp(): void
    {
        $this->jobs = new JobProcessor();
        $this->topic = new SyncIntegrationTopic();
        $this->queue = new class ($this->jobs, $this->topic) implements MessageProducerInterface {
            /** @var array<int, array{string, array}> */
            public array $sent = [];
            public bool $createsJobs = true;

            public function __construct(private JobProcessor $jobs, private SyncIntegrationTopic $topic)
            {
            }

            public function send($topic, $message)
            {
                $this->sent[] = [$topic, $message];
                if ($this->createsJobs && SyncIntegrationTopic::getName() === $topic) {
                    $this->jobs->createRootJob('message-' . \count($this->sent), $this->topic->createJobName($message), true);
                }
            }
        };
        $this->producer = new BufferedMessageProducer($this->queue);
        $this->producer->enableBuffering(); // as RequestWatcher::onRequestStart does for an HTTP request
    }

    public function testANewSyncIsScheduledAndAnsweredWithItsRootJob(): void
    {
        $context = $this->context($this->sync(7, 'datafield', true));

        $this->process($context);

        self::assertSame(
            [['oro.integration.sync_integration', [
                'integration_id' => 7,
                'connector_parameters' => ['datafields-force-sync' => 1],
                'connector' => 'datafield',
                'transport_batch_size' => 100,
            ]]],
            $this->queue->sent
        );
        self::assertFalse($this->producer->hasBufferedMessages());
        self::assertSame(1, $context->getId());
        self::assertSame(
            [1, 1, 'oro_integration:sync_integration:7', 'new', 0.0, 'datafield', true],
            $this->values($context->getResult())
        );
        self::assertFalse($context->isExisting());
        self::assertTrue($context->isProcessed(SaveEntity::OPERATION_NAME));
        self::assertSame($context->getResult(), $context->getSharedData()->get(ScheduleIntegrationSync::SHARED_DATA_KEY));
        self::assertFalse($context->hasErrors());
    }

    public function testWithoutTheFlagNoConnectorParameterIsSent(): void
    {
        $context = $this->context($this->sync(7, null, null));

        $this->process($context);

        self::assertSame(
            [['oro.integration.sync_integration', [
                'integration_id' => 7,
                'connector_parameters' => [],
                'connector' => null,
                'transport_batch_size' => 100,
            ]]],
            $this->queue->sent
        );
        self::assertSame([1, 1, 'oro_integration:sync_integration:7', 'new', 0.0, null, false], $this->values($context->getResult()));
    }

    public function testAnActiveSyncIsAnsweredAsTheExistingResourceAndNothingIsSent(): void
    {
        $running = $this->jobs->createRootJob('earlier-message', 'oro_integration:sync_integration:7', true);
        $running->setStatus(Job::STATUS_RUNNING);
        $running->setJobProgress(0.5);
        $context = $this->context($this->sync(7, 'datafield', true));

        $this->process($context);

        self::assertSame([], $this->queue->sent);
        self::assertTrue($context->isExisting());
        self::assertSame($running->getId(), $context->getId());
        self::assertSame(
            [$running->getId(), $running->getId(), 'oro_integration:sync_integration:7', 'running', 0.5, null, null],
            $this->values($context->getResult())
        );
        self::assertTrue($context->isProcessed(SaveEntity::OPERATION_NAME));
    }

    public function testAJobWaitingForRedeliveryCountsAsActive(): void
    {
        $waiting = $this->jobs->createRootJob('earlier-message', 'oro_integration:sync_integration:7', true);
        $waiting->setStatus(Job::STATUS_FAILED_REDELIVERED);
        $context = $this->context($this->sync(7, null, null));

        $this->process($context);

        self::assertSame([], $this->queue->sent);
        self::assertSame([$waiting->getId(), 'failed_redelivered'], [$context->getId(), $context->getResult()->getStatus()]);
    }

    public function testAStaleActiveJobIsMarkedStaleAndANewSyncScheduled(): void
    {
        $old = $this->jobs->createRootJob('earlier-message', 'oro_integration:sync_integration:7', true);
        $old->setStatus(Job::STATUS_RUNNING);
        $this->jobs->staleJobIds = [$old->getId()];
        $context = $this->context($this->sync(7, null, null));

        $this->process($context);

        self::assertSame(Job::STATUS_STALE, $old->getStatus());
        self::assertCount(1, $this->queue->sent);
        self::assertFalse($context->isExisting());
        self::assertSame([2, 'new'], [$context->getId(), $context->getResult()->getStatus()]);
    }

    public function testASyncOfAnotherIntegrationDoesNotCount(): void
    {
        $this->jobs->createRootJob('earlier-message', 'oro_integration:sync_integration:8', true);
        $context = $this->context($this->sync(7, null, null));

        $this->process($context);

        self::assertCount(1, $this->queue->sent);
        self::assertSame([2, 'oro_integration:sync_integration:7'], [$context->getId(), $context->getResult()->getJobName()]);
    }

    public function testWithoutBufferingTheMessageGoesOutAtOnce(): void
    {
        $this->producer = new BufferedMessageProducer($this->queue);
        $context = $this->context($this->sync(7, null, null));

        $this->process($context);

        self::assertCount(1, $this->queue->sent);
        self::assertSame(1, $context->getId());
    }

    public function testASentMessageWithoutAJobIsAServerError(): void
    {
        $this->queue->createsJobs = false;
        $context = $this->context($this->sync(7, null, null));

        $this->process($context);

        self::assertSame(
            [[500, 'integration sync job not found', 'The sync of integration 7 was sent, but no active job "oro_integration:sync_integration:7" exists.']],
            array_map(static fn (Error $e) => [$e->getStatusCode(), $e->getTitle(), $e->getDetail()], $context->getErrors())
        );
        self::assertNull($context->getId());
        self::assertFalse($context->isProcessed(SaveEntity::OPERATION_NAME));
    }

    public function testAnAlreadySavedResultIsLeftAlone(): void
    {
        $context = $this->context($this->sync(7, null, null));
        $context->setProcessed(SaveEntity::OPERATION_NAME);

        $this->process($context);

        self::assertSame([], $this->queue->sent);
        self::assertNull($context->getId());
    }

    private function process(CreateContext $context): void
    {
        (new ScheduleIntegrationSync(new GenuineSyncScheduler($this->producer), $this->producer, $this->jobs, $this->topic))
            ->process($context);
    }

    private function context(IntegrationSync $sync): CreateContext
    {
        $context = new CreateContext();
        $context->setResult($sync);

        return $context;
    }

    private function sync(int $integrationId, ?string $connector, ?bool $forceDataFields): IntegrationSync
    {
        $channel = new Channel();
        (new \ReflectionProperty(Channel::class, 'id'))->setValue($channel, $integrationId);
        $sync = new IntegrationSync();
        $sync->setIntegration($channel);
        $sync->setConnector($connector);
        $sync->setDatafieldsForceSync($forceDataFields);

        return $sync;
    }

    private function values(IntegrationSync $sync): array
    {
        return [
            $sync->getId(),
            $sync->getJobId(),
            $sync->getJobName(),
            $sync->getStatus(),
            $sync->getProgress(),
            $sync->getConnector(),
            $sync->getDatafieldsForceSync(),
        ];
    }
}
