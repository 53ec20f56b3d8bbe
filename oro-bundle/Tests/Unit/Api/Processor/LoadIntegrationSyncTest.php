<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Processor;

use Oro\Bundle\ApiBundle\Processor\SingleItemContext;
use Oro\Bundle\EntityBundle\ORM\DoctrineHelper;
use Oro\Bundle\IntegrationBundle\Async\Topic\SyncIntegrationTopic;
use Oro\Bundle\IntegrationBundle\Entity\Channel;
use Oro\Component\MessageQueue\Job\Job;
use Oro\Component\MessageQueue\Job\JobProcessor;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\LoadIntegrationSync;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\ScheduleIntegrationSync;
use Symfony\Component\Security\Core\Authorization\AuthorizationCheckerInterface;
use Symfony\Component\Security\Core\Exception\AccessDeniedException;

/** "get" of integrationsyncs: the root job of an integration sync, read with JobProcessor::findJobById. */
final class LoadIntegrationSyncTest extends TestCase
{
    private JobProcessor $jobs;
    private Channel $integration;
    private AuthorizationCheckerInterface $checker;

    protected function setUp(): void
    {
        $this->jobs = new JobProcessor();
        $this->integration = new Channel();
        (new \ReflectionProperty(Channel::class, 'id'))->setValue($this->integration, 7);
        $this->checker = new class () implements AuthorizationCheckerInterface {
            public array $granted = ['VIEW' => true];
            public array $asked = [];

            public function isGranted($attribute, $subject = null): bool
            {
                $this->asked[] = [$attribute, $subject];

                return $this->granted[$attribute] ?? false;
            }
        };
    }

    public function testTheRootJobOfASyncIsLoadedWithItsIntegration(): void
    {
        $job = $this->job('oro_integration:sync_integration:7', Job::STATUS_SUCCESS, 1);

        $context = $this->load($job->getId());

        $sync = $context->getResult();
        self::assertInstanceOf(IntegrationSync::class, $sync);
        self::assertSame(
            [$job->getId(), $job->getId(), 'oro_integration:sync_integration:7', 'success', 1.0, null, null, $this->integration],
            [
                $sync->getId(),
                $sync->getJobId(),
                $sync->getJobName(),
                $sync->getStatus(),
                $sync->getProgress(),
                $sync->getConnector(),
                $sync->getDatafieldsForceSync(),
                $sync->getIntegration(),
            ]
        );
        self::assertSame([['VIEW', $this->integration]], $this->checker->asked);
    }

    public function testTheSyncCreatedInThisRequestIsAnsweredAsItIs(): void
    {
        $this->job('oro_integration:sync_integration:7', Job::STATUS_NEW, 0);
        $created = new IntegrationSync();
        $created->setJob($this->jobs->findJobById(1));
        $created->setConnector('datafield');
        $created->setDatafieldsForceSync(true);
        $context = new SingleItemContext();
        $context->setId(1);
        $context->getSharedData()->set(ScheduleIntegrationSync::SHARED_DATA_KEY, $created);

        $this->processor()->process($context);

        self::assertSame($created, $context->getResult());
    }

    public function testASyncCreatedInThisRequestWithAnotherIdIsNotIt(): void
    {
        $this->job('oro_integration:sync_integration:7', Job::STATUS_RUNNING, 0.25);
        $other = new IntegrationSync();
        $context = new SingleItemContext();
        $context->setId(1);
        $context->getSharedData()->set(ScheduleIntegrationSync::SHARED_DATA_KEY, $other);

        $this->processor()->process($context);

        self::assertNotSame($other, $context->getResult());
        self::assertSame(['running', 0.25], [$context->getResult()->getStatus(), $context->getResult()->getProgress()]);
    }

    public function testAResultAlreadyInTheContextIsKept(): void
    {
        $existing = new IntegrationSync();
        $context = new SingleItemContext();
        $context->setId(1);
        $context->setResult($existing);

        $this->processor()->process($context);

        self::assertSame($existing, $context->getResult());
    }

    /** @dataProvider notASync */
    public function testAJobThatIsNotTheRootJobOfASyncIsNotFound(string $name, bool $child): void
    {
        $job = $this->job($name, Job::STATUS_RUNNING, 0);
        if ($child) {
            $job->setRootJob($this->job('oro_integration:sync_integration:7', Job::STATUS_RUNNING, 0));
        }

        self::assertFalse($this->load($job->getId())->hasResult());
    }

    public static function notASync(): array
    {
        return [
            'another topic' => ['oro_dotmailer:export_contacts_status_update:7', false],
            'a child job' => ['oro_integration:sync_integration:7', true],
            'not a number' => ['oro_integration:sync_integration:seven', false],
            'a padded number' => ['oro_integration:sync_integration:007', false],
            'no number' => ['oro_integration:sync_integration:', false],
        ];
    }

    public function testAnUnknownIdIsNotFound(): void
    {
        self::assertFalse($this->load(42)->hasResult());
    }

    public function testAUserWhoMayNotViewTheIntegrationIsDenied(): void
    {
        $job = $this->job('oro_integration:sync_integration:7', Job::STATUS_RUNNING, 0);
        $this->checker->granted = [];

        $this->expectException(AccessDeniedException::class);
        $this->expectExceptionMessage('No access to this integration.');
        $this->load($job->getId());
    }

    public function testTheSyncOfADeletedIntegrationIsLoadedWithoutIt(): void
    {
        $job = $this->job('oro_integration:sync_integration:8', Job::STATUS_SUCCESS, 1);

        $sync = $this->load($job->getId())->getResult();

        self::assertSame(['oro_integration:sync_integration:8', null], [$sync->getJobName(), $sync->getIntegration()]);
        self::assertSame([], $this->checker->asked);
    }

    private function load(int $id): SingleItemContext
    {
        $context = new SingleItemContext();
        $context->setId($id);
        $this->processor()->process($context);

        return $context;
    }

    private function processor(): LoadIntegrationSync
    {
        return new LoadIntegrationSync(
            $this->jobs,
            new SyncIntegrationTopic(),
            new DoctrineHelper([Channel::class => [7 => $this->integration]]),
            $this->checker
        );
    }

    private function job(string $name, string $status, float $progress): Job
    {
        $job = $this->jobs->createRootJob('message', $name, false);
        $job->setStatus($status);
        $job->setJobProgress($progress);

        return $job;
    }
}
